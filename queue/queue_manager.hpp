// queue: the queue manager. Holds every queued message in memory (QueueEntry: envelope and
// schedule; bodies stay in the spool) and decides what happens to them: which are due (an
// index ordered by next attempt, then arrival), when a finished attempt is tried again
// (retry intervals with jitter, or the end of a destination's back-off), holds and
// releases, flushes, and what the operator sees. No I/O and no clock of its own: the time
// comes in with each call, so every rule is a unit test with a fake clock. The Asio driver
// (mta/queue_runner) does the spool writes and the deliveries it asks for.
#pragma once

#include <chrono>
#include <cstddef>
#include <expected>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "queue/queue_entry.hpp"

namespace mxrelay::queue {

// The schedule's settings (queue.retry_intervals, queue.max_age, queue.delay_warning),
// passed with each call so that a reload applies at once.
struct ScheduleSettings {
  std::vector<std::chrono::seconds> retry_intervals{std::chrono::seconds(300)};
  std::chrono::seconds max_age{std::chrono::hours(120)};
  std::chrono::seconds delay_warning{0};  // 0: never
};

// What an operator sees of one queued message.
struct QueueEntryView {
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

// The queue by state, for the gauges.
struct QueueCounts {
  std::size_t ready = 0;     // due, waiting for an attempt slot
  std::size_t active = 0;    // an attempt (or an operator command) has it
  std::size_t deferred = 0;  // waiting for its next attempt
  std::size_t hold = 0;
  Clock::duration oldest_age{};
};

class QueueManager {
 public:
  // Adds (or replaces) a message; it is due at entry.next_attempt unless held or in flight.
  void add(QueueEntry entry);
  QueueEntry* find(const std::string& id);
  const QueueEntry* find(const std::string& id) const;
  std::size_t size() const { return entries_.size(); }
  // Drops a message from memory (the spool is the caller's business).
  void forget(const std::string& id);

  // Attempts: take_due marks up to `limit` due messages in flight (earliest first) and
  // returns their ids. The attempt ends with reschedule() or retry_later(), or forget().
  std::vector<std::string> take_due(Clock::time_point now, std::size_t limit);
  // Takes due messages the index missed (a safety net, O(n): run once per idle period).
  std::vector<std::string> sweep_due(Clock::time_point now, std::size_t limit);
  // When the earliest message not in flight is due; nullopt when none waits.
  std::optional<Clock::time_point> next_due();
  std::size_t attempts_running() const { return attempts_running_; }

  // After an attempt that did not remove the message. resume_at: every destination of the
  // attempt was backed off; the message waits until then without counting a failed attempt.
  // Otherwise the failed attempt counts and the retry interval (spread by unit_random in
  // [0, 1)) sets the next one. Returns the next attempt.
  Clock::time_point reschedule(const std::string& id, const ScheduleSettings& settings,
                               Clock::time_point now, double unit_random,
                               std::optional<Clock::time_point> resume_at = std::nullopt);
  // An attempt that broke (a bug, an unreadable record): retried after the longest interval.
  void retry_later(const std::string& id, std::string reason, const ScheduleSettings& settings,
                   Clock::time_point now);
  // The attempt's message left the spool (delivered, bounced, quarantined): the attempt
  // ends and the message is forgotten.
  void attempt_removed(const std::string& id);

  // Operator commands. claim: the message an operator command may change now (marked in
  // flight until unclaim, so no attempt starts meanwhile), or why not.
  std::expected<QueueEntry*, std::string> claim(const std::string& id);
  // due_now: make it due at once (release, bounce); otherwise it keeps its schedule.
  void unclaim(const std::string& id, bool due_now, Clock::time_point now);
  // Makes matching messages due now (all when both are empty); returns how many.
  std::size_t flush(const std::optional<std::string>& id, const std::optional<std::string>& domain,
                    Clock::time_point now);
  // Sorted by queue ID.
  std::vector<QueueEntryView> list() const;
  QueueEntryView view(const QueueEntry& entry) const;
  QueueCounts counts(Clock::time_point now) const;

 private:
  void index(const QueueEntry& entry);
  void end_attempt(QueueEntry& entry);
  bool startable(const QueueEntry& entry, Clock::time_point now) const;
  QueueEntry& start(QueueEntry& entry);

  std::unordered_map<std::string, QueueEntry> entries_;
  std::size_t attempts_running_ = 0;
  // The index: (next attempt, arrival, id), earliest on top. A row goes stale when its entry
  // is removed, starts, is held or is rescheduled; stale rows are skipped when popped.
  struct Due {
    Clock::time_point when;
    Clock::time_point arrival;
    std::string id;
    bool operator>(const Due& other) const {
      if (when != other.when) return when > other.when;
      if (arrival != other.arrival) return arrival > other.arrival;
      return id > other.id;
    }
  };
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
};

// The domain of a recipient address, canonical (lower case, no trailing dot); "" without '@'.
std::string recipient_domain(const std::string& address);

}  // namespace mxrelay::queue
