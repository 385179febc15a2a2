// mta/inbound: the inbound SMTP listener. Accepts connections on server.listen and drives one
// SmtpServerSession per connection in its own coroutine: reads with the server timeout,
// writes the replies, switches the connection to TLS on STARTTLS, verifies AUTH
// credentials against the credentials file (off the event loop, with failures rate-limited
// per client address), limits connections in total and per client address, and makes each
// accepted message durable in the spool (on the disk thread pool, off the event loop)
// before the session may answer 250. On shutdown it stops accepting, tells idle clients
// 421 4.3.2 at once (RFC 5321 3.8) and lets clients that are sending a message finish, until
// abort_sessions() cuts off the rest.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "conf/config.hpp"
#include "mta/health_check.hpp"
#include "mta/inbound/auth_failure_limiter.hpp"
#include "mta/inbound/connection_limiter.hpp"
#include "mta/inbound/credentials.hpp"
#include "mta/inbound/server_tls.hpp"
#include "mta/metrics.hpp"
#include "queue/spool.hpp"

namespace mxrelay::mta {

class ServerConnection;
class SmtpServerSession;

// What the listener reads from files: the server TLS context (server.tls_cert_file and
// tls_key_file; nullptr without them) and the AUTH credentials (server.credentials_file).
struct ListenerSecrets {
  std::shared_ptr<boost::asio::ssl::context> tls;
  std::shared_ptr<const CredentialStore> credentials;
};

// Loads them; throws std::runtime_error naming the file and the problem (unreadable, not a
// certificate, a key that does not match) when one cannot be used. `mxrelay check`, the start
// and every reload call it, so a broken file is found before the relay relies on it.
ListenerSecrets load_listener_secrets(const conf::Config& config);

class SmtpListener {
 public:
  // Called on the event loop for every message the spool has stored, with its size.
  using MessageQueued = std::function<void(queue::Envelope, std::uint64_t record_bytes)>;

  SmtpListener(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config,
               queue::Spool& spool, boost::asio::thread_pool& disk, Metrics& metrics,
               MessageQueued on_queued);

  // Loads the TLS certificate and the credentials file, then binds every server.listen
  // endpoint; throws std::runtime_error when one of them fails.
  void start();
  // Stops accepting at once. A session waiting for a command gets "421 4.3.2 Service
  // shutting down" now and is closed; one whose client is sending (a message after 354, a
  // BDAT chunk, a partial command line) runs on and gets the 421 once it waits for a command.
  void stop();
  // Ends every session still in flight without another reply (a message not yet
  // acknowledged stays unacknowledged, so the client retries); returns how many there were.
  std::size_t abort_sessions();
  // Sessions that have not ended yet (accepted connections, including those being closed).
  std::size_t sessions_in_flight() const;
  // New sessions use this configuration (sessions in flight keep theirs) with the TLS
  // certificate and credentials loaded from it (load_listener_secrets, which the caller ran
  // first so that a reload with a broken certificate is refused as a whole); the connection
  // and AUTH failure limits change at once. server.listen needs a restart.
  void reconfigure(std::shared_ptr<const conf::Config> config, ListenerSecrets secrets);
  // Whether it accepts connections now (GET /healthz); call on the event loop.
  ListenerHealth health() const;
  // The bound endpoints (useful with port 0 in tests).
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

 private:
  struct ActiveSessions;
  class SessionRegistration;

  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);
  // trusted: whether the connection counts as the relay's own client (relay_networks); an
  // untrusted one that authenticates becomes trusted.
  boost::asio::awaitable<void> run_session(ServerConnection& connection, SmtpServerSession& session,
                                           const conf::Config& config, const core::IpAddress& peer,
                                           SessionRegistration& registration, bool& trusted);
  boost::asio::awaitable<void> store(ServerConnection& connection, SmtpServerSession& session,
                                     const conf::Config& config, const core::IpAddress& peer);
  boost::asio::awaitable<void> verify(SmtpServerSession& session, const std::string& client);

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  queue::Spool& spool_;
  boost::asio::thread_pool& disk_;
  Metrics& metrics_;
  MessageQueued on_queued_;
  ListenerSecrets secrets_;
  AuthFailureLimiter auth_failures_;
  ConnectionLimiter connections_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::string accept_error_;  // the last accept(2) failure; "" once one succeeds again
  std::shared_ptr<ActiveSessions> sessions_;  // shared with every session's registration
};

}  // namespace mxrelay::mta
