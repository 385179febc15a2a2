// mta: the /healthz verdict (see health_check.hpp).
#include "mta/health_check.hpp"

#include <boost/json.hpp>

namespace mxrelay::mta {

namespace {

boost::json::object check(const char* name, bool ok, std::string detail) {
  return {{"name", name}, {"ok", ok}, {"detail", std::move(detail)}};
}

boost::json::object listener_check(const std::optional<ListenerHealth>& listener) {
  if (!listener) return check("listener", false, "the event loop did not answer");
  if (listener->stopping) return check("listener", false, "shutting down: not accepting mail");
  if (listener->listening == 0) return check("listener", false, "not listening");
  if (!listener->accept_error.empty())
    return check("listener", false, "accepting connections fails: " + listener->accept_error);
  return check("listener", true,
               "accepting on " + std::to_string(listener->listening) + " address(es)");
}

boost::json::object spool_check(const std::expected<void, core::Failure>& spool) {
  if (!spool) return check("spool", false, "not writable: " + spool.error().str());
  return check("spool", true, "writable");
}

}  // namespace

HealthVerdict judge_health(const HealthInputs& inputs) {
  boost::json::array checks{listener_check(inputs.listener), spool_check(inputs.spool)};
  bool healthy = true;
  for (const auto& entry : checks) healthy = healthy && entry.as_object().at("ok").as_bool();
  boost::json::object body{{"status", healthy ? "ok" : "failing"}, {"checks", std::move(checks)}};
  return {healthy ? 200 : 503, boost::json::serialize(body) + "\n"};
}

}  // namespace mxrelay::mta
