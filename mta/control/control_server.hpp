// mta/control: the control socket of a running relay. A Unix socket in the spool folder (mode 0600,
// and the peer must be root or the relay's own user) takes one JSON request per connection,
// e.g. {"command":"hold","id":"..."}, runs it against the QueueRunner and answers one
// JSON object: {"ok":true,...} or {"ok":false,"error":"..."}. It also carries "reload",
// "health" (the circuit breaker's unhealthy addresses, {"addresses":[...]}, see
// health_report.hpp), and TLS reporting's "tls_report_send_now" and "tls_report_show" (see
// tls_report/tls_reporter.hpp).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/json.hpp>
#include <expected>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "mta/queue_runner/queue_runner.hpp"
#include "mta/tls_report/tls_reporter.hpp"

namespace mxrelay::mta {

std::filesystem::path control_socket_path(const std::filesystem::path& spool_dir);

class ControlServer {
 public:
  using Reload = std::function<std::expected<void, std::vector<std::string>>()>;
  ControlServer(boost::asio::io_context& io, QueueRunner& queue, tlsrpt::TlsReporter& tls_report,
                std::filesystem::path path, Reload reload);
  // Binds the socket (replacing a stale one); throws std::runtime_error on failure.
  void start();
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::local::stream_protocol::socket socket);
  boost::asio::awaitable<boost::json::object> execute(const boost::json::object& request);

  boost::asio::io_context& io_;
  QueueRunner& queue_;
  tlsrpt::TlsReporter& tls_report_;
  std::filesystem::path path_;
  Reload reload_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
};

// The client side, used by `mxrelay queue`: sends one request, returns the reply, or an
// error text when the relay cannot be reached.
std::expected<boost::json::object, std::string> control_request(const std::filesystem::path& path,
                                                                const boost::json::object& request);

}  // namespace mxrelay::mta
