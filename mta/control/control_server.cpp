// mta/control: control socket server and client.
#include "mta/control/control_server.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/log_line.hpp"
#include "mta/control/health_report.hpp"
#include "mta/control/queue_report.hpp"
#include "mta/control/site_report.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::local::stream_protocol;

namespace {
constexpr std::size_t kMaxRequestBytes = 4096;

bool peer_is_trusted(stream_protocol::socket& socket) {
  ucred credentials{};
  socklen_t length = sizeof credentials;
  if (getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0)
    return false;
  return credentials.uid == 0 || credentials.uid == getuid();
}

json::object failure(std::string error) {
  return {{"ok", false}, {"error", std::move(error)}};
}

std::optional<std::string> optional_text(const json::object& request, const char* key) {
  auto found = request.if_contains(key);
  if (!found || !found->is_string()) return std::nullopt;
  return std::string(found->as_string());
}

// A Unix socket path is limited to 107 bytes; a deep spool folder would not fit. The socket is
// therefore named through an open descriptor of its folder: /proc/self/fd/N/control.sock.
class SocketPath {
 public:
  explicit SocketPath(const std::filesystem::path& path)
      : folder_(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
        open_error_(folder_ < 0 ? errno : 0),
        name_(path.filename().string()) {}
  SocketPath(const SocketPath&) = delete;
  SocketPath& operator=(const SocketPath&) = delete;
  ~SocketPath() {
    if (folder_ >= 0) ::close(folder_);
  }
  std::string str() const { return "/proc/self/fd/" + std::to_string(folder_) + "/" + name_; }
  // errno of opening the socket's folder (EACCES for a user who may not enter the spool); 0.
  int open_error() const { return open_error_; }

 private:
  int folder_;
  int open_error_;
  std::string name_;
};

json::object outcome(const std::expected<void, std::string>& result) {
  return result ? json::object{{"ok", true}} : failure(result.error());
}
}  // namespace

std::filesystem::path control_socket_path(const std::filesystem::path& spool_dir) {
  return spool_dir / "control.sock";
}

ControlServer::ControlServer(asio::io_context& io, QueueRunner& queue,
                             tlsrpt::TlsReporter& tls_report, std::filesystem::path path,
                             Reload reload)
    : io_(io),
      queue_(queue),
      tls_report_(tls_report),
      path_(std::move(path)),
      reload_(std::move(reload)),
      acceptor_(io) {}

void ControlServer::start() {
  ::unlink(path_.c_str());
  boost::system::error_code error;
  SocketPath short_path(path_);
  stream_protocol::endpoint endpoint(short_path.str());
  acceptor_.open(endpoint.protocol(), error);
  if (!error) acceptor_.bind(endpoint, error);
  if (!error && ::chmod(path_.c_str(), S_IRUSR | S_IWUSR) != 0)
    error.assign(errno, boost::system::system_category());
  if (!error) acceptor_.listen(asio::socket_base::max_listen_connections, error);
  if (error)
    throw std::runtime_error("cannot open control socket " + path_.string() + ": " +
                             error.message());
  asio::co_spawn(io_, accept_loop(), asio::detached);
}

void ControlServer::stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  ::unlink(path_.c_str());
}

asio::awaitable<void> ControlServer::accept_loop() {
  while (acceptor_.is_open()) {
    auto [error, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::operation_aborted) co_return;
    if (!error) asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> ControlServer::serve(stream_protocol::socket socket) {
  json::object reply;
  asio::streambuf input(kMaxRequestBytes);
  if (!peer_is_trusted(socket)) {
    reply = failure("permission denied: only root or the relay's user may control the queue");
  } else {
    auto [error, n] =
        co_await asio::async_read_until(socket, input, '\n', asio::as_tuple(asio::use_awaitable));
    boost::system::error_code parse_error;
    auto request =
        error ? json::value()
              : json::parse(std::string_view(static_cast<const char*>(input.data().data()), n),
                            parse_error);
    if (error || parse_error || !request.is_object())
      reply = failure("malformed request");
    else
      reply = co_await execute(request.as_object());
  }
  auto text = json::serialize(reply) + "\n";
  co_await asio::async_write(socket, asio::buffer(text), asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<json::object> ControlServer::execute(const json::object& request) {
  auto command = optional_text(request, "command").value_or("");
  auto id = optional_text(request, "id");
  core::LogLine("queue_command", core::Severity::notice)
      .kv("command", command)
      .kv("queue_id", id.value_or(""))
      .emit();
  if (command == "list") {
    json::array entries;
    for (const auto& view : queue_.list()) entries.push_back(to_json(view));
    co_return json::object{{"ok", true}, {"entries", std::move(entries)}};
  }
  if (command == "health")
    co_return json::object{{"ok", true},
                           {"addresses", health_to_json(queue_.unhealthy_addresses())}};
  if (command == "sites")
    co_return json::object{{"ok", true}, {"sites", sites_to_json(queue_.sites())}};
  if (command == "summary")
    co_return json::object{{"ok", true},
                           {"rows", queue_summary(queue_.list(),
                                                  [this](const std::string& domain) {
                                                    return queue_.site_of_domain(domain);
                                                  })},
                           {"cluster", cluster_summary(queue_.sites())}};
  if (command == "flush") {
    auto count = queue_.flush(id, optional_text(request, "domain"));
    co_return json::object{{"ok", true}, {"count", count}};
  }
  if (command == "tls_report_send_now") co_return co_await tls_report_.send_now();
  if (command == "tls_report_show") co_return tls_report_.show();
  if (command == "reload") {
    auto reloaded = reload_();
    if (reloaded) co_return json::object{{"ok", true}};
    json::array errors;
    for (const auto& error : reloaded.error()) errors.push_back(json::string(error));
    co_return json::object{{"ok", false}, {"error", "configuration rejected"}, {"errors", errors}};
  }
  if (!id) co_return failure("command '" + command + "' needs a queue id");
  if (command == "show") {
    auto detail = co_await queue_.show(*id);
    if (!detail) co_return failure(detail.error());
    co_return json::object{{"ok", true}, {"entry", to_json(*detail)}};
  }
  if (command == "hold") co_return outcome(co_await queue_.hold(*id, true));
  if (command == "release") co_return outcome(co_await queue_.hold(*id, false));
  if (command == "delete") co_return outcome(co_await queue_.remove(*id));
  if (command == "bounce") co_return outcome(co_await queue_.bounce(*id));
  co_return failure("unknown command '" + command + "'");
}

std::expected<json::object, std::string> control_request(const std::filesystem::path& path,
                                                         const json::object& request) {
  asio::io_context io;
  stream_protocol::socket socket(io);
  boost::system::error_code error;
  SocketPath short_path(path);
  if (const int cause = short_path.open_error(); cause != 0)
    return std::unexpected("cannot reach the running relay at " + path.string() + ": " +
                           path.parent_path().string() + ": " + std::strerror(cause) +
                           (cause == EACCES ? " (run it as root or as the relay's user)" : ""));
  socket.connect(stream_protocol::endpoint(short_path.str()), error);
  if (error)
    return std::unexpected("cannot reach the running relay at " + path.string() + ": " +
                           error.message());
  auto text = json::serialize(request) + "\n";
  asio::write(socket, asio::buffer(text), error);
  std::string reply;
  if (!error) asio::read(socket, asio::dynamic_buffer(reply), error);
  if (error && error != asio::error::eof)
    return std::unexpected("control socket: " + error.message());
  boost::system::error_code parse_error;
  auto value = json::parse(reply, parse_error);
  if (parse_error || !value.is_object()) return std::unexpected("malformed reply from the relay");
  return value.as_object();
}

}  // namespace mxrelay::mta
