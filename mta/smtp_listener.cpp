// mta: accept loops and the per-connection driver of SmtpServerSession.
#include "smtp_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "asio_helpers.hpp"
#include "core/log_line.hpp"
#include "queue/queue_id.hpp"
#include "received_header.hpp"
#include "smtp_server_session.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// RFC 5321 4.5.3.2.7: the server waits at least five minutes for the next command.
constexpr auto kServerTimeout = std::chrono::minutes(5);

bool relay_allowed(const conf::Config& config, const core::IpAddress& peer) {
  return std::ranges::any_of(config.server.relay_networks,
                             [&](const core::Cidr& network) { return network.contains(peer); });
}

asio::awaitable<bool> write_all(tcp::socket& socket, const std::string& bytes) {
  co_return co_await write_for(socket, bytes, kServerTimeout) == IoStatus::ok;
}

queue::Envelope make_envelope(const ReceivedMessage& message, const core::IpAddress& peer) {
  queue::Envelope envelope;
  envelope.id = queue::new_queue_id();
  envelope.arrival_unix = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  envelope.client_address = peer.str();
  envelope.helo = message.helo;
  envelope.sender = message.sender;
  envelope.recipients = message.recipients;
  return envelope;
}
}  // namespace

SmtpListener::SmtpListener(asio::io_context& io, std::shared_ptr<const conf::Config> config,
                           queue::Spool& spool, asio::thread_pool& disk, Metrics& metrics,
                           MessageQueued on_queued)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      disk_(disk),
      metrics_(metrics),
      on_queued_(std::move(on_queued)) {}

void SmtpListener::start() {
  for (const auto& endpoint : config_->server.listen) {
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    tcp::endpoint where(to_asio(endpoint.address), endpoint.port);
    boost::system::error_code error;
    acceptor->open(where.protocol(), error);
    if (!error) acceptor->set_option(tcp::acceptor::reuse_address(true), error);
    if (!error) acceptor->bind(where, error);
    if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
    if (error)
      throw std::runtime_error("cannot listen on " + endpoint.str() + ": " + error.message());
    core::LogLine("listening").kv("addr", endpoint.str()).emit();
    asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
    acceptors_.push_back(std::move(acceptor));
  }
}

void SmtpListener::stop() {
  for (auto& acceptor : acceptors_) {
    boost::system::error_code ignored;
    acceptor->close(ignored);
  }
}

asio::awaitable<void> SmtpListener::accept_loop(tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      core::LogLine("accept_error").kv("error", error.message()).emit();
      continue;
    }
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> SmtpListener::serve(tcp::socket socket) {
  auto config = config_;  // this session keeps the configuration it started with
  boost::system::error_code error;
  auto remote = socket.remote_endpoint(error);
  if (error) co_return;
  auto peer = from_asio(remote.address());
  auto client = "[" + peer.str() + "]";
  metrics_.session_opened("inbound");
  core::LogLine("connect").kv("client", client).emit();

  ServerSessionContext context;
  context.hostname = config->server.hostname;
  context.peer = peer;
  context.relay_allowed = relay_allowed(*config, peer);
  context.limits.max_message_size = config->server.max_message_size;
  context.limits.max_recipients = config->server.max_recipients;
  SmtpServerSession session(std::move(context));

  std::array<char, 64 * 1024> buffer;
  bool connected = co_await write_all(socket, session.greeting());
  if (!connected) session.on_eof();
  for (;;) {
    auto step = session.next();
    switch (step.kind) {
      case SmtpServerSession::Step::Kind::send:
        if (!co_await write_all(socket, step.bytes)) session.on_eof();
        break;
      case SmtpServerSession::Step::Kind::need_input: {
        auto read = co_await read_some_for(socket, buffer, kServerTimeout);
        if (read.status == IoStatus::ok)
          session.on_input(std::string_view(buffer.data(), read.bytes));
        else if (read.status == IoStatus::timeout)
          session.on_timeout();
        else
          session.on_eof();
        break;
      }
      case SmtpServerSession::Step::Kind::store_message: {
        const auto& message = session.message();
        auto envelope = make_envelope(message, peer);
        auto body = received_header({.helo = message.helo,
                                     .client_ip = envelope.client_address,
                                     .our_hostname = config->server.hostname,
                                     .protocol = "ESMTP",
                                     .queue_id = envelope.id,
                                     .recipient = message.recipients.size() == 1
                                                      ? std::string_view(message.recipients[0])
                                                      : std::string_view(),
                                     .when = std::chrono::system_clock::now()});
        body += message.data;
        auto stored = co_await run_blocking(disk_, [&] { return spool_.store(envelope, body); });
        if (stored) {
          metrics_.message_received(body.size());
          core::LogLine("accepted")
              .kv("queue_id", envelope.id)
              .kv("from", "<" + envelope.sender + ">")
              .kv("nrcpt", static_cast<long long>(envelope.recipients.size()))
              .kv("size", static_cast<long long>(body.size()))
              .kv("client", client)
              .emit();
          session.on_stored(envelope.id);
          on_queued_(std::move(envelope));
        } else {
          metrics_.store_failed();
          core::LogLine("store_failed")
              .kv("queue_id", envelope.id)
              .kv("client", client)
              .kv("dsn", stored.error().status.str())
              .kv("reason", stored.error().reason)
              .emit();
          session.on_store_failed(stored.error());
        }
        break;
      }
      case SmtpServerSession::Step::Kind::close:
        if (!step.bytes.empty()) co_await write_all(socket, step.bytes);
        socket.shutdown(tcp::socket::shutdown_both, error);
        core::LogLine("disconnect").kv("client", client).emit();
        co_return;
    }
  }
}

}  // namespace mxrelay::mta
