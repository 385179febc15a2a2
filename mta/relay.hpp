// mta: one running relay process: owns the event loop, the disk thread pool, metrics, the
// spool, the resolver, the delivery engine, TLS reporting, the SMTP listener and the control
// socket, wires them together, and handles the process's signals: SIGTERM/SIGINT stop it
// gracefully (server.shutdown_grace), SIGHUP (and the control socket's "reload") re-read the
// configuration without losing anything queued. With a [cluster], it connects to the cluster's
// Redis at start (the section's changes need a restart).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "mta/cluster/cluster_limits.hpp"
#include "mta/control/control_server.hpp"
#include "mta/health_endpoint.hpp"
#include "mta/inbound/smtp_listener.hpp"
#include "mta/metrics.hpp"
#include "mta/queue_runner/queue_runner.hpp"
#include "mta/tls_report/tls_reporter.hpp"
#include "queue/spool.hpp"
#include "resolver/next_hop_resolver.hpp"

namespace mxrelay::mta {

// A NextHopResolver that keeps its own UnboundClient alive (built from one config).
std::shared_ptr<resolver::NextHopResolver> make_next_hop_resolver(
    boost::asio::any_io_executor executor, const conf::Config& config,
    resolver::ResolverObserver* observer);

class Relay {
 public:
  // Opens the spool, binds listeners, metrics and the control socket; throws
  // std::runtime_error on a start-up failure.
  Relay(std::filesystem::path config_file, conf::Config config);
  // Runs until SIGTERM or SIGINT, then stops accepting and gives inbound sessions and
  // delivery attempts in flight server.shutdown_grace to finish; what is left is abandoned
  // (messages not acknowledged are the client's to retry; queued ones stay queued).
  void run();
  // Re-reads the configuration file; on errors the old configuration stays.
  std::expected<void, std::vector<std::string>> reload();

 private:
  void wait_for_signals();
  boost::asio::awaitable<void> shut_down(int signal);
  // GET /healthz, on a civetweb thread (HealthEndpoint runs one at a time).
  HealthVerdict probe_health();

  std::filesystem::path config_file_;
  std::shared_ptr<const conf::Config> config_;
  boost::asio::io_context io_{1};
  boost::asio::thread_pool disk_{2};
  Metrics metrics_;
  std::shared_ptr<ClusterLimits> cluster_;  // none without a [cluster]
  queue::Spool spool_;
  QueueRunner queue_runner_;
  tlsrpt::TlsReporter tls_report_;
  SmtpListener listener_;
  ControlServer control_;
  boost::asio::signal_set signals_;
  // The spool probe's latest result, reused for a second (guarded by HealthEndpoint).
  std::chrono::steady_clock::time_point spool_probed_at_{};
  std::expected<void, core::Failure> spool_probe_;
  // Last: the first member destroyed, so /healthz stops asking before the rest goes away.
  HealthEndpoint health_;
};

}  // namespace mxrelay::mta
