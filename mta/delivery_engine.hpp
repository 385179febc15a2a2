// mta: the delivery engine. Holds the envelope of every queued message in memory (bodies
// stay on disk), decides when each is due, and runs attempts: group the pending recipients
// by domain, resolve each domain's next hop, deliver, record every recipient's outcome in
// the spool, then remove the message or schedule its retry. One log line per recipient
// attempt, Postfix style. Also the operator's view of the queue (list, show) and the
// operator's levers (flush, hold, release, delete, bounce).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"
#include "metrics.hpp"
#include "queue/dsn_report.hpp"
#include "queue/spool.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "resolver/transport_decision.hpp"
#include "smtp_delivery.hpp"

namespace mxrelay::mta {

// What an operator sees of one queued message.
struct QueueEntryView {
  enum class RecipientState { pending, delivered, failed };
  struct Recipient {
    std::string address;
    RecipientState state = RecipientState::pending;
  };
  std::string id;
  std::int64_t arrival_unix = 0;
  std::uint64_t size = 0;
  std::string sender;
  std::vector<Recipient> recipients;
  std::size_t attempts = 0;
  std::int64_t next_attempt_unix = 0;
  std::string last_error;
  bool held = false;
  bool in_flight = false;
};
const char* to_string(QueueEntryView::RecipientState state);

// `queue show`: the view plus what is on disk.
struct QueueEntryDetail {
  QueueEntryView view;
  std::string client_address;
  std::string helo;
  std::string headers;     // the message header section as stored
  std::string transcript;  // of the latest failed attempt
};

class DeliveryEngine {
 public:
  DeliveryEngine(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config,
                 queue::Spool& spool, std::shared_ptr<resolver::NextHopResolver> resolver,
                 Metrics& metrics, boost::asio::thread_pool& disk,
                 DeliverySettings delivery_settings);

  // A reloaded configuration: new attempts use it, attempts in flight finish with the old
  // one; schedules and queue contents are kept.
  void reconfigure(std::shared_ptr<const conf::Config> config,
                   std::shared_ptr<resolver::NextHopResolver> resolver);

  // Crash recovery: starts loading the spooled messages in the background (in batches, bodies
  // stay on disk); each becomes due when loaded. New mail may be enqueued meanwhile.
  void recover();
  // A message the listener has just stored durably (message_bytes long); due now.
  void enqueue(queue::Envelope envelope, std::uint64_t message_bytes);
  void start();
  void stop();
  std::size_t attempts_in_flight() const { return in_flight_; }

  // Queue management. Errors are short texts for the operator.
  std::vector<QueueEntryView> list() const;
  boost::asio::awaitable<std::expected<QueueEntryDetail, std::string>> show(std::string id);
  // Makes matching messages due now (all when both are empty); returns how many.
  std::size_t flush(std::optional<std::string> id, std::optional<std::string> domain);
  boost::asio::awaitable<std::expected<void, std::string>> hold(std::string id, bool held);
  boost::asio::awaitable<std::expected<void, std::string>> remove(std::string id);
  // Fails every pending recipient now (5.0.0, "bounced by the administrator"); the DSN goes
  // out and the message leaves the queue on the attempt that follows at once.
  boost::asio::awaitable<std::expected<void, std::string>> bounce(std::string id);

  // Remote addresses the circuit breaker skips now (for the control socket's "health").
  std::vector<UnhealthyAddress> unhealthy_addresses() const;

 private:
  using Clock = std::chrono::system_clock;
  using RecipientState = QueueEntryView::RecipientState;
  struct Entry {
    queue::Envelope envelope;
    std::vector<RecipientState> recipients;
    std::uint64_t size = 0;
    Clock::time_point arrival;  // sub-second for messages accepted by this process
    std::size_t failed_attempts = 0;
    Clock::time_point next_attempt;
    std::string last_error;
    bool held = false;
    bool in_flight = false;
    bool delay_warned = false;
    // Recipients that ended since the last notification and asked to be told (NOTIFY).
    std::vector<queue::DsnRecipient> to_notify;

    bool expired = false;  // recipients failed because the message outlived queue.max_age

    bool complete() const;
  };
  // Where one recipient domain's mail goes, as far as connections and back-off are concerned.
  struct Destination {
    std::string name;         // next-hop identity: the transport host / MX name, or the domain
    ConnectionLimits limits;  // limits.label: the transport-map key or "mx"
  };

  boost::asio::awaitable<void> schedule_loop();
  // Starts the attempts that are due, earliest first, up to the parallel limit.
  void start_due(Clock::time_point now);
  // Starts any due entry the index missed (a safety net run once per idle period: O(n)).
  void sweep_due(Clock::time_point now);
  void start_attempt(const std::string& id, Entry& entry);
  // Indexes the entry at its next_attempt; call whenever it is rescheduled or released.
  void schedule(const Entry& entry);
  boost::asio::awaitable<void> attempt(std::string id);
  // A bug must not stall a message: log it, and retry the message later.
  void attempt_crashed(const std::string& id, std::exception_ptr failure);
  // Returns the end of the destination's back-off when it is backed off (nothing attempted).
  boost::asio::awaitable<std::optional<Clock::time_point>> deliver_domain(
      Entry& entry, const conf::Config& config, resolver::NextHopResolver& resolver,
      const std::string& domain, const std::vector<std::size_t>& indexes, std::string_view body);
  static Destination destination_of(const conf::Config& config,
                                    const resolver::TransportDecision& decision,
                                    const std::string& domain);
  // Per-destination back-off bookkeeping after an attempt; logs a back-off that starts.
  void note_destination_outcome(const Destination& destination, const DeliveryReport& report);
  void count_connections(const DeliveryReport& report);
  // Queue-state, oldest-age and unhealthy-address gauges, refreshed about once a second.
  boost::asio::awaitable<void> gauge_loop();
  void update_queue_gauges();
  void update_health_gauges();
  boost::asio::awaitable<void> record(Entry& entry, const RecipientResult& result,
                                      const std::string& relay);
  // Queues a DSN about these recipients (from <> to the sender, or to queue.postmaster for a
  // failed bounce); original is the stored message. False when it could not be queued.
  boost::asio::awaitable<bool> notify(Entry& entry, std::string_view original,
                                      const std::vector<queue::DsnRecipient>& recipients);
  // Sends the reports collected in entry.to_notify; they stay there if that fails.
  boost::asio::awaitable<void> notify_outcomes(Entry& entry, std::string_view original);
  boost::asio::awaitable<void> warn_if_delayed(Entry& entry, std::string_view original);
  // Past queue.max_age: every pending recipient fails (5.4.7).
  boost::asio::awaitable<void> expire_if_too_old(Entry& entry);
  // resume_at: every destination of the attempt was backed off; the message waits until then
  // without counting a failed attempt.
  boost::asio::awaitable<void> finish(Entry& entry,
                                      std::optional<Clock::time_point> resume_at = std::nullopt);
  void add(Entry entry);
  boost::asio::awaitable<void> load_backlog();
  // A record that failed its checksum when read for an attempt: moved aside, entry dropped.
  boost::asio::awaitable<void> drop_corrupt(Entry& entry, const std::string& reason);
  QueueEntryView view(const Entry& entry) const;
  // The entry an operator command may change now (marked in flight until the command is
  // done, so no attempt starts meanwhile), or why not.
  std::expected<Entry*, std::string> claim(const std::string& id);
  // Drops the entry from memory (the spool is the caller's business).
  void forget(const std::string& id);
  // Removes the message from the spool and the queue; false (and kept) when that failed.
  // outcome: delivered, bounced, expired or deleted (messages_finished metric).
  boost::asio::awaitable<bool> remove_from_spool(Entry& entry, const char* outcome);

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  queue::Spool& spool_;
  std::shared_ptr<resolver::NextHopResolver> resolver_;
  DeliveryContext delivery_context_;
  Metrics& metrics_;
  boost::asio::thread_pool& disk_;
  boost::asio::steady_timer wakeup_;
  boost::asio::steady_timer gauge_timer_;
  // Metrics label of every destination with unhealthy addresses seen (absent: "mx").
  std::unordered_map<std::string, std::string> destination_labels_;
  std::vector<std::string> unhealthy_labels_;  // labels whose gauge was last set above 0
  std::unordered_map<std::string, Entry> entries_;
  std::size_t in_flight_ = 0;
  // The scheduler's index: (next attempt, id), earliest on top. A pair goes stale when its
  // entry is removed, starts, is held or is rescheduled; stale pairs are skipped when popped.
  struct Due {
    Clock::time_point when;
    std::string id;
    bool operator>(const Due& other) const { return when > other.when; }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  Clock::time_point next_sweep_{};
  bool running_ = false;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mxrelay::mta
