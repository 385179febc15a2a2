// mta: the civetweb glue of GET /healthz (see health_endpoint.hpp).
#include "mta/health_endpoint.hpp"

#include <CivetServer.h>

#include <cstring>
#include <mutex>
#include <string>

namespace mxrelay::mta {

namespace {

std::mutex g_probe_mutex;                        // held while a probe runs
const HealthEndpoint::Probe* g_probe = nullptr;  // guarded by g_probe_mutex

HealthVerdict run_probe() {
  std::lock_guard lock(g_probe_mutex);
  if (g_probe == nullptr)
    return {503,
            "{\"status\":\"failing\",\"checks\":[{\"name\":\"relay\",\"ok\":false,"
            "\"detail\":\"not running\"}]}\n"};
  return (*g_probe)();
}

// civetweb: a non-zero return means this callback answered the request (the value is the
// HTTP status, for civetweb's own log); 0 hands the request on to the exporter.
int begin_request(mg_connection* connection) {
  const mg_request_info* request = mg_get_request_info(connection);
  if (request == nullptr || request->local_uri == nullptr ||
      std::strcmp(request->local_uri, "/healthz") != 0)
    return 0;
  const bool get = std::strcmp(request->request_method, "GET") == 0;
  const bool head = std::strcmp(request->request_method, "HEAD") == 0;
  if (!get && !head) {
    mg_printf(connection,
              "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET, HEAD\r\nContent-Length: 0\r\n"
              "Connection: close\r\n\r\n");
    return 405;
  }
  const HealthVerdict verdict = run_probe();
  const std::string head_lines =
      "HTTP/1.1 " + std::to_string(verdict.http_status) +
      (verdict.http_status == 200 ? " OK" : " Service Unavailable") +
      "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: " +
      std::to_string(verdict.body.size()) + "\r\nConnection: close\r\n\r\n";
  mg_write(connection, head_lines.data(), head_lines.size());
  if (get) mg_write(connection, verdict.body.data(), verdict.body.size());
  return verdict.http_status;
}

const CivetCallbacks kCallbacks = [] {
  CivetCallbacks callbacks;
  callbacks.begin_request = begin_request;
  return callbacks;
}();

}  // namespace

HealthEndpoint::HealthEndpoint(Probe probe) : probe_(std::move(probe)) {
  std::lock_guard lock(g_probe_mutex);
  g_probe = &probe_;
}

HealthEndpoint::~HealthEndpoint() {
  std::lock_guard lock(g_probe_mutex);
  if (g_probe == &probe_) g_probe = nullptr;
}

const CivetCallbacks* HealthEndpoint::callbacks() {
  return &kCallbacks;
}

}  // namespace mxrelay::mta
