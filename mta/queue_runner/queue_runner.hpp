// mta/queue_runner: the Asio driver of the queue manager. Wakes when something is due and
// starts those attempts (at most kMaxParallelAttempts at once): reads the message from the
// spool, groups its pending recipients by domain, asks resolver::decide_transport for each
// (refusals and holds end there), hands the rest to the delivery engine (DeliveryAgent),
// records every typed outcome (spool recipient log, one Postfix-style log line, metrics),
// expires and warns through the queue manager's rules, sends the DSNs owed (DsnNotifier),
// then removes the message or reschedules it. Also runs the operator's commands against the
// queue manager with the spool writes they need, and the queue gauges.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <expected>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "mta/metrics.hpp"
#include "mta/outbound/delivery_agent.hpp"
#include "mta/queue_runner/dsn_notifier.hpp"
#include "queue/queue_manager.hpp"
#include "queue/spool.hpp"
#include "resolver/next_hop_resolver.hpp"

namespace mxrelay::mta {

using queue::QueueEntryView;

// `queue show`: the view plus what is on disk.
struct QueueEntryDetail {
  QueueEntryView view;
  std::string client_address;
  std::string helo;
  bool require_tls = false;  // sent with REQUIRETLS (RFC 8689)
  std::string headers;       // the message header section as stored
  std::string transcript;    // of the latest failed attempt
};

class QueueRunner {
 public:
  QueueRunner(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config,
              queue::Spool& spool, std::shared_ptr<resolver::NextHopResolver> resolver,
              Metrics& metrics, boost::asio::thread_pool& disk);

  // A reloaded configuration: new attempts use it (and the delivery engine its TLS CA file
  // and health thresholds), attempts in flight finish with the old one; schedules, queue
  // contents, address health and back-off are kept.
  void reconfigure(std::shared_ptr<const conf::Config> config,
                   std::shared_ptr<resolver::NextHopResolver> resolver);

  // Crash recovery: starts loading the spooled messages in the background (in batches, bodies
  // stay on disk); each becomes due when loaded. New mail may be enqueued meanwhile.
  void recover();
  // A message the listener has just stored durably (message_bytes long); due now.
  void enqueue(queue::Envelope envelope, std::uint64_t message_bytes);
  // The cluster the delivery engine shares the sites' limits with (before start()): its
  // suspensions are polled once a second while running.
  void set_cluster(std::shared_ptr<ClusterLimits> cluster) {
    agent_.set_cluster(std::move(cluster));
  }
  // TLS reporting: the delivery engine's counted TLS sessions.
  void set_tls_observer(DeliveryAgent::TlsObserver observer) {
    agent_.set_tls_observer(std::move(observer));
  }
  void start();
  void stop();
  std::size_t attempts_in_flight() const { return queue_.attempts_running(); }

  // Queue management. Errors are short texts for the operator.
  std::vector<QueueEntryView> list() const { return queue_.list(); }
  boost::asio::awaitable<std::expected<QueueEntryDetail, std::string>> show(std::string id);
  // Makes matching messages due now (all when both are empty); returns how many.
  std::size_t flush(std::optional<std::string> id, std::optional<std::string> domain);
  boost::asio::awaitable<std::expected<void, std::string>> hold(std::string id, bool held);
  boost::asio::awaitable<std::expected<void, std::string>> remove(std::string id);
  // Fails every pending recipient now (5.0.0, "bounced by the administrator"); the DSN goes
  // out and the message leaves the queue on the attempt that follows at once.
  boost::asio::awaitable<std::expected<void, std::string>> bounce(std::string id);

  // Remote addresses the circuit breaker skips now (for the control socket's "health").
  std::vector<UnhealthyAddress> unhealthy_addresses() const { return agent_.unhealthy_addresses(); }
  // The shaping sites' state now (for `mxrelay route` and `queue summary`).
  std::vector<SiteStatus> sites() const { return agent_.sites(*config_); }
  // The site a recipient domain's mail went to at its last attempt; "" when not known yet.
  std::string site_of_domain(const std::string& domain) const {
    return agent_.site_of_domain(domain);
  }

 private:
  using Clock = queue::Clock;

  queue::ScheduleSettings schedule_settings() const;
  boost::asio::awaitable<void> schedule_loop();
  void start_attempts(const std::vector<std::string>& ids);
  boost::asio::awaitable<void> attempt(std::string id);
  // A bug must not stall a message: log it, and retry the message later.
  void attempt_crashed(const std::string& id, std::exception_ptr failure);
  // How one domain's part of an attempt ended for the schedule.
  struct DomainAttempt {
    // The domain's recipients wait until then: its destination is backed off, or its site
    // held the message back or answered with a throttling reply.
    std::optional<Clock::time_point> resume_at;
    bool counts = true;  // a failed attempt that uses up a retry (recipients left deferred)
  };
  boost::asio::awaitable<DomainAttempt> deliver_domain(
      queue::QueueEntry& entry, const conf::Config& config, resolver::NextHopResolver& resolver,
      const std::string& domain, const std::vector<std::size_t>& indexes, std::string_view body);
  boost::asio::awaitable<void> hold_for_transport(queue::QueueEntry& entry,
                                                  const std::string& domain,
                                                  const resolver::TransportDecision& decision);
  // Queue-state, oldest-age and unhealthy-address gauges, refreshed about once a second.
  boost::asio::awaitable<void> gauge_loop();
  // The cluster's suspensions, polled once a second.
  boost::asio::awaitable<void> cluster_loop();
  void update_queue_gauges();
  void update_health_gauges();
  void update_site_gauges();
  void declare_sites();
  // One recipient's outcome: metrics, the delivery log line, the spool. times: of the
  // attempt that produced it (zero for outcomes decided without one).
  boost::asio::awaitable<void> record(queue::QueueEntry& entry,
                                      const queue::DeliveryOutcome& outcome,
                                      queue::AttemptTimes times = {});
  // Sends the reports owed; false when they could not be queued (they stay owed).
  boost::asio::awaitable<bool> notify(queue::QueueEntry& entry, std::string_view original,
                                      const std::vector<queue::DsnRecipient>& recipients);
  boost::asio::awaitable<void> warn_if_delayed(queue::QueueEntry& entry, std::string_view original);
  boost::asio::awaitable<void> finish(queue::QueueEntry& entry,
                                      std::optional<Clock::time_point> resume_at);
  void add(queue::QueueEntry entry);
  boost::asio::awaitable<void> load_backlog();
  // A record that failed its checksum when read for an attempt: moved aside, entry dropped.
  boost::asio::awaitable<void> drop_corrupt(const std::string& id, const std::string& reason);
  // Removes the message from the spool (and the queue); false (and kept) when that failed.
  boost::asio::awaitable<bool> remove_from_spool(const std::string& id, queue::MessageEnd end);
  void wake() { wakeup_.cancel(); }

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  queue::Spool& spool_;
  std::shared_ptr<resolver::NextHopResolver> resolver_;
  Metrics& metrics_;
  boost::asio::thread_pool& disk_;
  queue::QueueManager queue_;
  DeliveryAgent agent_;
  DsnNotifier notifier_;
  boost::asio::steady_timer wakeup_;
  boost::asio::steady_timer gauge_timer_;
  boost::asio::steady_timer cluster_timer_;
  std::vector<std::string> unhealthy_labels_;  // labels whose gauge was last set above 0
  Clock::time_point next_sweep_{};
  bool running_ = false;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mxrelay::mta
