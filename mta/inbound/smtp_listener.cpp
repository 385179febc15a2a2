// mta/inbound: accept loops and the per-connection driver of SmtpServerSession.
#include "mta/inbound/smtp_listener.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <list>
#include <stdexcept>

#include "core/domain_name.hpp"
#include "core/log_line.hpp"
#include "mta/inbound/received_header.hpp"
#include "mta/inbound/server_connection.hpp"
#include "mta/io/asio_helpers.hpp"
#include "mta/io/durable_store.hpp"
#include "mta/protocol/smtp_reply.hpp"
#include "mta/protocol/smtp_server_session.hpp"
#include "queue/queue_id.hpp"
#include "resolver/transport_decision.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// After a failed accept(2) (out of file descriptors, of memory) the next one waits this long,
// so that a lasting failure neither spins the event loop nor floods the log.
constexpr auto kAcceptRetryPause = std::chrono::milliseconds(100);

// A TLS close_notify exchange may take this long before the socket is simply closed.
constexpr auto kTlsCloseTimeout = std::chrono::seconds(2);
// On shutdown, an idle client gets this reply (RFC 5321 3.8; RFC 3463 4.3.2: system not
// accepting network messages).
constexpr std::string_view kShuttingDown = "421 4.3.2 Service shutting down\r\n";
// After that reply the client's next command (and its close) is read and dropped for up to
// this long, so that closing early does not reset the connection before the client has read
// the 421.
constexpr auto kShutdownLinger = std::chrono::seconds(2);

bool relay_allowed(const conf::Config& config, const core::IpAddress& peer) {
  return std::ranges::any_of(config.server.relay_networks,
                             [&](const core::Cidr& network) { return network.contains(peer); });
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
  envelope.ret = message.dsn.ret;
  envelope.envid = message.dsn.envid;
  envelope.require_tls = message.require_tls;
  if (std::ranges::any_of(message.recipient_dsn, [](const queue::RecipientDsn& dsn) {
        return dsn != queue::RecipientDsn{};
      }))
    envelope.recipient_dsn = message.recipient_dsn;
  return envelope;
}

// The metrics label of an accepted message's client: its server.relay_networks entry, else
// "authenticated" or "other".
std::string client_network(const conf::Config& config, const core::IpAddress& peer,
                           bool authenticated) {
  auto network = std::ranges::find_if(config.server.relay_networks,
                                      [&](const core::Cidr& cidr) { return cidr.contains(peer); });
  if (network != config.server.relay_networks.end()) return network->str();
  return authenticated ? "authenticated" : "other";
}

// RFC 3848 protocol names.
std::string_view received_protocol(const SmtpServerSession& session) {
  if (!session.tls_active()) return "ESMTP";
  return session.authenticated_user().empty() ? "ESMTPS" : "ESMTPSA";
}

InboundConnectionLimits connection_limits(const conf::ServerConfig& server) {
  return {server.max_connections, server.max_connections_per_client,
          server.untrusted_connection_limit()};
}

// The pregreet test: what the client did during the wait before its greeting: sent bytes
// (ok: it does not wait for the server, as spam software does not), left (failed), or
// waited like a mail client (timeout).
asio::awaitable<IoStatus> before_greeting(ServerConnection& connection, std::chrono::seconds wait) {
  std::array<char, 512> buffer;
  const auto read = co_await connection.read_some(buffer, wait);
  co_return read.status;
}

// Answers a connection over the limits and closes it, without a session.
asio::awaitable<void> refuse(ServerConnection& connection, const std::string& hostname,
                             std::chrono::seconds timeout, Metrics& metrics) {
  metrics.inbound_rejection(core::EnhancedStatus{4, 7, 0});
  co_await connection.write("421 4.7.0 " + hostname + " Error: too many connections\r\n", timeout);
  co_await connection.close(timeout);
}

// Watches the replies the server sends: counts the 4xx/5xx ones by their enhanced status
// code, and remembers whether the latest one was a 354 (the client sends content next).
class SentReplies {
 public:
  explicit SentReplies(Metrics& metrics) : metrics_(metrics) {}

  void count(std::string_view replies) {
    parser_.feed(replies);
    for (auto reply = parser_.next(); reply && *reply; reply = parser_.next()) {
      last_was_intermediate_ = (*reply)->is_intermediate();
      if ((*reply)->is_transient() || (*reply)->is_permanent())
        metrics_.inbound_rejection((*reply)->status);
    }
  }
  bool last_was_intermediate() const { return last_was_intermediate_; }

 private:
  Metrics& metrics_;
  ReplyParser parser_;
  bool last_was_intermediate_ = false;
};

// One line per refused command: who, what it sent, what it got (fail2ban and the operator read
// these; AUTH never shows its credentials).
void log_rejection(const SmtpServerSession& session, const std::string& client,
                   const Rejection& rejection) {
  auto line = core::LogLine("reject", core::Severity::notice);
  line.kv("client", client);
  if (const auto& helo = session.message().helo; !helo.empty()) line.kv("helo", helo);
  if (rejection.sender) line.kv("from", "<" + *rejection.sender + ">");
  if (const auto& user = session.authenticated_user(); !user.empty())
    line.kv("sasl_username", user);
  line.kv("command", rejection.command).kv("reply", rejection.reply).emit();
}

// Says 421 4.3.2 to a client waiting for a command, drops what it sends next, and closes.
asio::awaitable<void> say_shutting_down(ServerConnection& connection, std::span<char> buffer) {
  auto written = co_await connection.write(kShuttingDown, kShutdownLinger);
  const auto linger_end = std::chrono::steady_clock::now() + kShutdownLinger;
  while (written == IoStatus::ok) {
    auto left = linger_end - std::chrono::steady_clock::now();
    if (left <= decltype(left)::zero()) break;
    auto read = co_await connection.read_some(buffer, left);
    if (read.status != IoStatus::ok) break;
  }
  co_await connection.close(kTlsCloseTimeout);
}
}  // namespace

// The sessions in flight, shared with each session's registration so that neither outlives
// the other's bookkeeping.
struct SmtpListener::ActiveSessions {
  struct Session {
    ServerConnection* connection = nullptr;
    bool waiting_for_command = false;  // blocked reading, with nothing of the client pending
  };
  std::list<Session> sessions;
  bool stopping = false;  // no new connections; idle sessions end with 421
  bool aborting = false;  // every session ends now, without another reply
};

// One session's entry in ActiveSessions, for as long as the session runs.
class SmtpListener::SessionRegistration {
 public:
  SessionRegistration(std::shared_ptr<ActiveSessions> sessions, ServerConnection& connection)
      : sessions_(std::move(sessions)),
        entry_(sessions_->sessions.insert(sessions_->sessions.end(),
                                          ActiveSessions::Session{&connection})) {}
  ~SessionRegistration() { sessions_->sessions.erase(entry_); }
  SessionRegistration(const SessionRegistration&) = delete;
  SessionRegistration& operator=(const SessionRegistration&) = delete;

  bool stopping() const { return sessions_->stopping; }
  bool aborting() const { return sessions_->aborting; }
  void set_waiting_for_command(bool waiting) { entry_->waiting_for_command = waiting; }

 private:
  std::shared_ptr<ActiveSessions> sessions_;
  std::list<ActiveSessions::Session>::iterator entry_;
};

SmtpListener::SmtpListener(asio::io_context& io, std::shared_ptr<const conf::Config> config,
                           queue::Spool& spool, asio::thread_pool& disk, Metrics& metrics,
                           MessageQueued on_queued)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      disk_(disk),
      metrics_(metrics),
      on_queued_(std::move(on_queued)),
      auth_failures_(config_->server.auth_max_failures, config_->server.auth_failure_window),
      connections_(connection_limits(config_->server)),
      sessions_(std::make_shared<ActiveSessions>()) {}

ListenerSecrets load_listener_secrets(const conf::Config& config) {
  const auto& server = config.server;
  ListenerSecrets secrets;
  // load_config() makes sure the key comes with the certificate.
  if (!server.tls_cert_file.empty())
    secrets.tls = make_server_tls_context(ServerTlsSettings{
        server.tls_cert_file, server.tls_key_file, server.tls_ciphers, server.tls_ciphersuites});
  if (!server.credentials_file.empty()) {
    auto store = load_credentials(server.credentials_file);
    if (!store) throw std::runtime_error(store.error());
    secrets.credentials = std::make_shared<const CredentialStore>(std::move(*store));
  }
  return secrets;
}

void SmtpListener::reconfigure(std::shared_ptr<const conf::Config> config,
                               ListenerSecrets secrets) {
  config_ = std::move(config);
  secrets_ = std::move(secrets);
  const auto& server = config_->server;
  connections_.set_limits(connection_limits(server));
  auth_failures_.set_limits(server.auth_max_failures, server.auth_failure_window);
}

void SmtpListener::start() {
  secrets_ = load_listener_secrets(*config_);
  for (const auto& endpoint : config_->server.listen) {
    auto acceptor = std::make_unique<tcp::acceptor>(io_);
    tcp::endpoint where(to_asio(endpoint.address), endpoint.port);
    boost::system::error_code error;
    acceptor->open(where.protocol(), error);
    if (!error) acceptor->set_option(tcp::acceptor::reuse_address(true), error);
    // IPv6 only, as Postfix and nginx bind: "[::]:25" beside "0.0.0.0:25" must not collide.
    if (!error && where.protocol() == tcp::v6())
      acceptor->set_option(asio::ip::v6_only(true), error);
    if (!error) acceptor->bind(where, error);
    if (!error) acceptor->listen(asio::socket_base::max_listen_connections, error);
    if (error)
      throw std::runtime_error("cannot listen on " + endpoint.str() + ": " + error.message());
    core::LogLine("listening", core::Severity::notice).kv("addr", endpoint.str()).emit();
    asio::co_spawn(io_, accept_loop(*acceptor), asio::detached);
    acceptors_.push_back(std::move(acceptor));
  }
}

void SmtpListener::stop() {
  sessions_->stopping = true;
  for (auto& acceptor : acceptors_) {
    boost::system::error_code ignored;
    acceptor->close(ignored);
  }
  for (auto& session : sessions_->sessions)
    if (session.waiting_for_command) session.connection->cancel();
}

std::size_t SmtpListener::abort_sessions() {
  sessions_->aborting = true;
  for (auto& session : sessions_->sessions) session.connection->cancel();
  return sessions_->sessions.size();
}

std::size_t SmtpListener::sessions_in_flight() const {
  return sessions_->sessions.size();
}

ListenerHealth SmtpListener::health() const {
  ListenerHealth health;
  health.stopping = sessions_->stopping;
  health.accept_error = accept_error_;
  for (const auto& acceptor : acceptors_) health.listening += acceptor->is_open() ? 1 : 0;
  return health;
}

std::vector<tcp::endpoint> SmtpListener::local_endpoints() const {
  std::vector<tcp::endpoint> endpoints;
  for (const auto& acceptor : acceptors_) {
    boost::system::error_code error;
    auto endpoint = acceptor->local_endpoint(error);
    if (!error) endpoints.push_back(endpoint);
  }
  return endpoints;
}

asio::awaitable<void> SmtpListener::accept_loop(tcp::acceptor& acceptor) {
  while (acceptor.is_open()) {
    auto [error, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (error == asio::error::operation_aborted) co_return;
    if (error) {
      if (accept_error_ != error.message()) {
        accept_error_ = error.message();
        core::LogLine("accept_error", core::Severity::error).kv("error", accept_error_).emit();
      }
      asio::steady_timer pause(io_, kAcceptRetryPause);
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    accept_error_.clear();
    asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
  }
}

asio::awaitable<void> SmtpListener::serve(tcp::socket socket) {
  auto config = config_;  // this session keeps the configuration it started with
  boost::system::error_code error;
  auto remote = socket.remote_endpoint(error);
  if (error) co_return;
  auto peer = from_asio(remote.address());
  auto address = peer.str();
  auto client = "[" + address + "]";
  ServerConnection connection(std::move(socket));
  core::LogLine("connect").kv("client", client).emit();
  // The relay's own clients (relay_networks) are counted apart from outsiders.
  bool trusted = relay_allowed(*config, peer);
  if (const auto admission = connections_.try_open(address, trusted);
      admission != ConnectionAdmission::admitted) {
    core::LogLine("connection_refused", core::Severity::warning)
        .kv("client", client)
        .kv("reason", to_string(admission))
        .emit();
    metrics_.inbound_connection_refused(to_string(admission));
    co_await refuse(connection, config->server.hostname, config->server.timeout, metrics_);
    co_return;
  }
  if (!trusted && config->server.pregreet_wait.count() > 0) {
    const auto waited = co_await before_greeting(connection, config->server.pregreet_wait);
    if (waited == IoStatus::failed) {  // a session that ended as it began: left early
      metrics_.session_opened("inbound");
      metrics_.inbound_session_began();
      metrics_.inbound_session_ended(InboundSessionResult::error);
      connections_.close(address, trusted);
      co_return;
    }
    if (waited == IoStatus::ok) {
      core::LogLine("connection_refused", core::Severity::warning)
          .kv("client", client)
          .kv("reason", "pregreet")
          .emit();
      metrics_.inbound_connection_refused("pregreet");
      metrics_.inbound_rejection(core::EnhancedStatus{5, 5, 1});
      co_await connection.write(
          "554 5.5.1 " + config->server.hostname + " Error: talking before the greeting\r\n",
          config->server.timeout);
      co_await connection.close(config->server.timeout);
      connections_.close(address, trusted);
      co_return;
    }
  }
  metrics_.session_opened("inbound");

  ServerSessionContext context;
  context.hostname = config->server.hostname;
  context.peer = peer;
  context.relay_allowed = relay_allowed(*config, peer);
  context.tls_available = secrets_.tls != nullptr;
  context.require_tls = config->server.require_tls && secrets_.tls != nullptr;
  context.auth_available = secrets_.credentials != nullptr && secrets_.tls != nullptr;
  context.normalize_bare_newlines =
      config->server.bare_newlines == conf::BareNewlines::normalize &&
      std::ranges::any_of(config->server.bare_newlines_from,
                          [&](const core::Cidr& network) { return network.contains(peer); });
  context.recipient_policy = [config](std::string_view recipient) -> std::optional<core::Failure> {
    auto at = recipient.rfind('@');
    if (at == std::string_view::npos) return std::nullopt;
    auto decision =
        resolver::decide_transport(*config, core::canonical_domain(recipient.substr(at + 1)));
    // Refused at RCPT time: a domain with no A-label form, or a transport entry's reject.
    if (!decision.invalid_domain && decision.action != conf::TransportAction::reject)
      return std::nullopt;
    return decision.refusal();
  };
  context.limits.max_message_size = config->server.max_message_size;
  context.limits.max_recipients = config->server.max_recipients;
  context.limits.max_hops = config->server.max_hops;
  SmtpServerSession session(std::move(context));
  SessionRegistration registration(sessions_, connection);
  co_await run_session(connection, session, *config, peer, registration, trusted);
  connections_.close(address, trusted);
  core::LogLine("disconnect").kv("client", client).emit();
}

asio::awaitable<void> SmtpListener::run_session(ServerConnection& connection,
                                                SmtpServerSession& session,
                                                const conf::Config& config,
                                                const core::IpAddress& peer,
                                                SessionRegistration& registration, bool& trusted) {
  const auto timeout = config.server.timeout;
  const auto client = "[" + peer.str() + "]";
  std::array<char, 64 * 1024> buffer;
  SentReplies replies(metrics_);
  auto result = InboundSessionResult::completed;
  // Input arrived since our last reply, or that reply was 354: the client is in the middle
  // of something (a command line, a BDAT chunk, message content) that a shutdown lets finish.
  bool client_sending = false;
  // The session ends after on_eof()/on_timeout(); the first cause is the session's result.
  auto fail = [&](InboundSessionResult cause) {
    if (result == InboundSessionResult::completed) result = cause;
    if (cause == InboundSessionResult::timeout)
      session.on_timeout();
    else
      session.on_eof();
  };
  auto io_failure = [](IoStatus status) {
    return status == IoStatus::timeout ? InboundSessionResult::timeout
                                       : InboundSessionResult::error;
  };
  // Deadlines (server.command_timeout, server.data_timeout) run from the first byte of a
  // command line or of a message's content; a client sending one byte now and then is cut
  // off by them, not kept alive by the idle timeout.
  std::optional<std::chrono::steady_clock::time_point> command_deadline;
  std::optional<std::chrono::steady_clock::time_point> content_deadline;
  auto wait_for_input = [&]() {
    const auto now = std::chrono::steady_clock::now();
    if (!session.command_in_progress())
      command_deadline.reset();
    else if (!command_deadline)
      command_deadline = now + config.server.command_timeout;
    if (!session.receiving_message())
      content_deadline.reset();
    else if (!content_deadline)
      content_deadline = now + config.server.data_timeout;
    auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    for (const auto& deadline : {command_deadline, content_deadline})
      if (deadline) wait = std::min(wait, std::max(*deadline - now, wait.zero()));
    return wait;
  };
  // Which limit a read that timed out ran into.
  auto cut_off_reason = [&]() {
    const auto now = std::chrono::steady_clock::now();
    if (content_deadline && now >= *content_deadline) return "data_deadline";
    if (command_deadline && now >= *command_deadline) return "command_deadline";
    return "idle";
  };
  metrics_.inbound_session_began();
  // g++ 12 miscompiles co_await inside conditions: every result is stored first.
  auto greeted = co_await connection.write(session.greeting(), timeout);
  if (greeted != IoStatus::ok) fail(io_failure(greeted));
  for (;;) {
    auto step = session.next();
    if (step.kind != SmtpServerSession::Step::Kind::need_input) replies.count(step.bytes);
    for (const auto& rejection : session.take_rejections())
      log_rejection(session, client, rejection);
    switch (step.kind) {
      case SmtpServerSession::Step::Kind::send: {
        if (registration.aborting()) {
          fail(InboundSessionResult::error);
          break;
        }
        auto written = co_await connection.write(step.bytes, timeout);
        if (written != IoStatus::ok) fail(io_failure(written));
        client_sending = replies.last_was_intermediate();
        break;
      }
      case SmtpServerSession::Step::Kind::need_input: {
        if (registration.aborting()) {
          fail(InboundSessionResult::error);
          break;
        }
        if (registration.stopping() && !client_sending) {
          replies.count(kShuttingDown);
          co_await say_shutting_down(connection, buffer);
          metrics_.inbound_session_ended(result);
          co_return;
        }
        registration.set_waiting_for_command(!client_sending);
        const auto wait = wait_for_input();
        auto read = co_await connection.read_some(buffer, wait);
        registration.set_waiting_for_command(false);
        if (read.status == IoStatus::ok) {
          client_sending = true;
          session.on_input(std::string_view(buffer.data(), read.bytes));
        } else if (!registration.stopping() || client_sending || registration.aborting()) {
          if (read.status == IoStatus::timeout) metrics_.inbound_session_cut_off(cut_off_reason());
          fail(io_failure(read.status));
        }  // else: woken by stop(); the next need_input step says 421
        break;
      }
      case SmtpServerSession::Step::Kind::start_tls: {
        if (registration.aborting()) {
          fail(InboundSessionResult::error);
          break;
        }
        auto status = co_await connection.write(step.bytes, timeout);
        if (status != IoStatus::ok) {
          fail(io_failure(status));
          break;
        }
        status = co_await connection.start_tls(*secrets_.tls, config.server.tls_handshake_timeout);
        const auto& tls = connection.tls();
        metrics_.inbound_tls_handshake(tls ? tls->version : std::string(), status == IoStatus::ok);
        if (status == IoStatus::ok) {
          session.on_tls_started();
        } else {
          if (status == IoStatus::timeout) metrics_.inbound_session_cut_off("tls_handshake");
          core::LogLine("tls_failed", core::Severity::warning).kv("client", client).emit();
          fail(InboundSessionResult::error);
        }
        break;
      }
      case SmtpServerSession::Step::Kind::verify_credentials:
        co_await verify(session, peer.str());
        if (!trusted && !session.authenticated_user().empty()) {
          connections_.promote();
          trusted = true;
        }
        break;
      case SmtpServerSession::Step::Kind::store_message:
        co_await store(connection, session, config, peer);
        break;
      case SmtpServerSession::Step::Kind::close:
        if (!step.bytes.empty() && !registration.aborting())
          co_await connection.write(step.bytes, timeout);
        co_await connection.close(kTlsCloseTimeout);
        metrics_.inbound_session_ended(result);
        co_return;
    }
  }
}

// Rate limiting first, then the slow hash on the disk pool, off the event loop.
asio::awaitable<void> SmtpListener::verify(SmtpServerSession& session, const std::string& address) {
  const auto& credentials = session.credentials();
  const auto log = [&](const char* result, core::Severity severity) {
    core::LogLine("auth", severity)
        .kv("client", "[" + address + "]")
        .kv("sasl_username", credentials.username)
        .kv("mechanism", credentials.mechanism)
        .kv("result", result)
        .emit();
  };
  if (auth_failures_.locked_out(address, AuthFailureLimiter::Clock::now())) {
    metrics_.inbound_auth(AuthResult::locked_out);
    log("locked_out", core::Severity::warning);
    session.on_credentials_checked(CredentialCheck::locked_out);
    co_return;
  }
  auto store = secrets_.credentials;
  bool valid = co_await run_blocking(
      disk_, [&] { return store->verify(credentials.username, credentials.password); });
  if (valid) {
    auth_failures_.record_success(address);
  } else {
    auth_failures_.record_failure(address, AuthFailureLimiter::Clock::now());
  }
  metrics_.inbound_auth(valid ? AuthResult::success : AuthResult::failure);
  if (valid)
    log("success", core::Severity::info);
  else
    log("failure", core::Severity::warning);
  session.on_credentials_checked(valid ? CredentialCheck::accepted : CredentialCheck::rejected);
}

asio::awaitable<void> SmtpListener::store(ServerConnection& connection, SmtpServerSession& session,
                                          const conf::Config& config, const core::IpAddress& peer) {
  const auto client = "[" + peer.str() + "]";
  const auto& message = session.message();
  const std::string tls = connection.tls() ? connection.tls()->description() : std::string();
  auto envelope = make_envelope(message, peer);
  auto body = received_header({.helo = message.helo,
                               .client_ip = envelope.client_address,
                               .our_hostname = config.server.hostname,
                               .protocol = received_protocol(session),
                               .queue_id = envelope.id,
                               .recipient = message.recipients.size() == 1
                                                ? std::string_view(message.recipients[0])
                                                : std::string_view(),
                               .when = std::chrono::system_clock::now(),
                               .tls = tls});
  body += message.data;
  auto stored = co_await store_durably(spool_, disk_, envelope, body);
  if (stored) {
    metrics_.message_received(body.size());
    metrics_.inbound_message_from(
        client_network(config, peer, !session.authenticated_user().empty()));
    auto log = core::LogLine("accepted");
    log.kv("queue_id", envelope.id)
        .kv("from", "<" + envelope.sender + ">")
        .kv("nrcpt", static_cast<long long>(envelope.recipients.size()))
        .kv("size", static_cast<long long>(body.size()))
        .kv("client", client);
    if (connection.tls())
      log.kv("tls", connection.tls()->version).kv("cipher", connection.tls()->cipher);
    if (!session.authenticated_user().empty())
      log.kv("sasl_username", session.authenticated_user());
    log.emit();
    session.on_stored(envelope.id);
    on_queued_(std::move(envelope), body.size());
  } else {
    metrics_.store_failed();
    core::LogLine("store_failed", core::Severity::error)
        .kv("queue_id", envelope.id)
        .kv("client", client)
        .kv("dsn", stored.error().status.str())
        .kv("reason", stored.error().reason)
        .emit();
    session.on_store_failed(stored.error());
  }
}

}  // namespace mxrelay::mta
