// tests: the queue manager's rules with a fake clock: what is due and in which order,
// retries, back-off resumption, holds, flush, operator claims, broken attempts, and the
// per-message rules (outcomes, expiry, delay warnings, completion) as table rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "queue/queue_manager.hpp"

namespace mxrelay::queue {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kT0 = Clock::time_point(std::chrono::seconds(1'800'000'000));

Envelope envelope(std::string id, std::vector<std::string> recipients = {"bob@example.org"}) {
  Envelope out;
  out.id = std::move(id);
  out.sender = "alice@example.com";
  out.recipients = std::move(recipients);
  out.arrival_unix =
      std::chrono::duration_cast<std::chrono::seconds>(kT0.time_since_epoch()).count();
  return out;
}

ScheduleSettings settings() {
  ScheduleSettings out;
  out.retry_intervals = {60s, 300s, 3600s};
  out.max_age = 24h;
  out.delay_warning = 4h;
  return out;
}

DeliveryOutcome outcome(std::size_t index, DeliveryStatus status, std::string remote_reply = {}) {
  DeliveryOutcome out;
  out.index = index;
  out.status = status;
  out.enhanced_status = status == DeliveryStatus::sent      ? core::EnhancedStatus{2, 0, 0}
                        : status == DeliveryStatus::bounced ? core::EnhancedStatus{5, 1, 1}
                                                            : core::EnhancedStatus{4, 7, 1};
  out.remote = {"mx.example.org", "192.0.2.1", 25};
  out.remote_reply = remote_reply;
  out.reason = remote_reply.empty() ? "connect to mx.example.org[192.0.2.1]:25: refused"
                                    : "host mx.example.org[192.0.2.1]:25 said: " + remote_reply;
  return out;
}

TEST(QueueManager, NewMessagesAreDueAtOnceEarliestFirst) {
  QueueManager queue;
  queue.add(new_entry(envelope("B"), 10, kT0 + 2s));
  queue.add(new_entry(envelope("A"), 10, kT0 + 1s));
  queue.add(new_entry(envelope("C"), 10, kT0 + 3s));
  EXPECT_TRUE(queue.take_due(kT0, 64).empty());  // none is due before it arrived
  EXPECT_EQ(queue.take_due(kT0 + 2s, 64), (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(queue.attempts_running(), 2u);
  EXPECT_EQ(queue.next_due(), kT0 + 3s);
  EXPECT_EQ(queue.take_due(kT0 + 10s, 64), (std::vector<std::string>{"C"}));
  EXPECT_EQ(queue.next_due(), std::nullopt);  // all in flight
}

TEST(QueueManager, TakeDueStopsAtTheParallelLimit) {
  QueueManager queue;
  for (auto id : {"A", "B", "C"}) queue.add(new_entry(envelope(id), 10, kT0));
  EXPECT_EQ(queue.take_due(kT0, 2).size(), 2u);
  EXPECT_TRUE(queue.take_due(kT0, 2).empty());
  queue.reschedule("A", settings(), kT0, 0.5);
  EXPECT_EQ(queue.take_due(kT0, 2), (std::vector<std::string>{"C"}));
}

TEST(QueueManager, RecoveredMessagesComeDueOldestArrivalFirst) {
  QueueManager queue;
  const auto now = kT0 + 1h;
  for (auto [id, age] : {std::pair{"young", 10}, {"oldest", 3000}, {"middle", 600}}) {
    auto env = envelope(id);
    env.arrival_unix -= age;
    queue.add(recovered_entry(env, 10, false, {}, now));
  }
  auto held = envelope("held");
  queue.add(recovered_entry(held, 10, true, {}, now));
  EXPECT_EQ(queue.take_due(now, 64), (std::vector<std::string>{"oldest", "middle", "young"}));
}

TEST(QueueManager, RecoveryAppliesTheRecordedOutcomes) {
  auto entry = recovered_entry(envelope("A", {"a@x.org", "b@x.org", "c@x.org"}), 10, false,
                               {{0, RecipientState::delivered, "250 ok"},
                                {2, RecipientState::failed, "550 no"},
                                {7, RecipientState::failed, "out of range"}},
                               kT0);
  EXPECT_EQ(entry.recipients,
            (std::vector<RecipientState>{RecipientState::delivered, RecipientState::pending,
                                         RecipientState::failed}));
  EXPECT_EQ(entry.arrival, kT0);
}

// Each row: failed attempts so far, and the delay expected before the next one (jitter 0.5
// leaves the interval as it is; the last interval repeats).
struct RetryRow {
  std::size_t failures;
  std::chrono::seconds delay;
};

TEST(QueueManager, RetriesFollowTheIntervalsAndTheLastRepeats) {
  const RetryRow rows[] = {{1, 60s}, {2, 300s}, {3, 3600s}, {4, 3600s}, {9, 3600s}};
  for (const auto& row : rows) {
    QueueManager queue;
    queue.add(new_entry(envelope("A"), 10, kT0));
    auto now = kT0;
    Clock::duration last_delay{};
    for (std::size_t i = 0; i < row.failures; ++i) {
      ASSERT_EQ(queue.take_due(now, 64).size(), 1u) << "attempt " << i;
      const auto next = queue.reschedule("A", settings(), now, 0.5);
      EXPECT_TRUE(queue.take_due(next - 1s, 64).empty()) << "early at attempt " << i;
      last_delay = next - now;
      now = next;
    }
    EXPECT_EQ(queue.find("A")->failed_attempts, row.failures);
    EXPECT_EQ(last_delay, row.delay) << "after " << row.failures << " failures";
    EXPECT_EQ(queue.next_due(), now);
  }
}

TEST(QueueManager, JitterSpreadsARetryByAtMostTenPercent) {
  for (double unit : {0.0, 0.999}) {
    QueueManager queue;
    queue.add(new_entry(envelope("A"), 10, kT0));
    queue.take_due(kT0, 64);
    const auto next = queue.reschedule("A", settings(), kT0, unit);
    EXPECT_GE(next - kT0, 54s);
    EXPECT_LE(next - kT0, 66s);
  }
}

TEST(QueueManager, ABackedOffDestinationResumesWithoutCountingAFailure) {
  QueueManager queue;
  queue.add(new_entry(envelope("A"), 10, kT0));
  queue.take_due(kT0, 64);
  EXPECT_EQ(queue.reschedule("A", settings(), kT0, 0.5, kT0 + 17s), kT0 + 17s);
  EXPECT_EQ(queue.find("A")->failed_attempts, 0u);
  EXPECT_TRUE(queue.take_due(kT0 + 16s, 64).empty());
  EXPECT_EQ(queue.take_due(kT0 + 17s, 64).size(), 1u);
}

TEST(QueueManager, HeldMessagesAreNeverDueUntilReleased) {
  QueueManager queue;
  queue.add(new_entry(envelope("A"), 10, kT0));
  auto claimed = queue.claim("A");
  ASSERT_TRUE(claimed);
  (*claimed)->held = true;
  queue.unclaim("A", false, kT0);
  EXPECT_TRUE(queue.take_due(kT0 + 365 * 24h, 64).empty());
  EXPECT_EQ(queue.flush(std::nullopt, std::nullopt, kT0 + 1h), 1u);  // counted, still held
  EXPECT_TRUE(queue.take_due(kT0 + 2h, 64).empty());
  EXPECT_EQ(queue.counts(kT0 + 2h).hold, 1u);
  claimed = queue.claim("A");
  (*claimed)->held = false;
  queue.unclaim("A", true, kT0 + 3h);
  EXPECT_EQ(queue.take_due(kT0 + 3h, 64), (std::vector<std::string>{"A"}));
}

TEST(QueueManager, AMessageHeldDuringItsAttemptIsNotRescheduled) {
  QueueManager queue;
  queue.add(new_entry(envelope("A"), 10, kT0));
  queue.take_due(kT0, 64);
  queue.find("A")->held = true;  // a transport entry with action hold
  queue.reschedule("A", settings(), kT0, 0.5);
  EXPECT_EQ(queue.next_due(), std::nullopt);
  EXPECT_EQ(queue.attempts_running(), 0u);
}

struct FlushRow {
  std::optional<std::string> id;
  std::optional<std::string> domain;
  std::vector<std::string> due;
};

TEST(QueueManager, FlushMakesMatchingMessagesDueNow) {
  const FlushRow rows[] = {
      {std::nullopt, std::nullopt, {"A", "B", "C"}},
      {"B", std::nullopt, {"B"}},
      {std::nullopt, "OUTLOOK.com.", {"A", "C"}},
      {"A", "gmail.com", {}},
      {"nope", std::nullopt, {}},
  };
  for (const auto& row : rows) {
    QueueManager queue;
    queue.add(new_entry(envelope("A", {"x@outlook.com"}), 10, kT0));
    queue.add(new_entry(envelope("B", {"y@gmail.com"}), 10, kT0));
    queue.add(new_entry(envelope("C", {"y@gmail.com", "z@outlook.com"}), 10, kT0));
    queue.take_due(kT0, 64);
    for (auto id : {"A", "B", "C"}) queue.reschedule(id, settings(), kT0, 0.5);
    EXPECT_EQ(queue.flush(row.id, row.domain, kT0 + 1s), row.due.size());
    auto due = queue.take_due(kT0 + 1s, 64);
    std::ranges::sort(due);
    EXPECT_EQ(due, row.due);
  }
}

TEST(QueueManager, OperatorClaimsExcludeAttemptsAndOtherClaims) {
  QueueManager queue;
  queue.add(new_entry(envelope("A"), 10, kT0));
  queue.add(new_entry(envelope("B"), 10, kT0));
  ASSERT_TRUE(queue.claim("A"));
  EXPECT_EQ(queue.claim("A").error(), "message A is being delivered right now; try again shortly");
  EXPECT_EQ(queue.claim("Z").error(), "no message Z in the queue");
  EXPECT_EQ(queue.take_due(kT0, 64), (std::vector<std::string>{"B"}));  // A is claimed
  EXPECT_FALSE(queue.claim("B"));                                       // B is in an attempt
  EXPECT_EQ(queue.attempts_running(), 1u);                              // a claim is not an attempt
  queue.unclaim("A", false, kT0);
  EXPECT_EQ(queue.take_due(kT0, 64), (std::vector<std::string>{"A"}));
}

TEST(QueueManager, ABrokenAttemptIsRetriedAfterTheLongestInterval) {
  QueueManager queue;
  queue.add(new_entry(envelope("A"), 10, kT0));
  queue.take_due(kT0, 64);
  queue.retry_later("A", "internal error: boom", settings(), kT0);
  EXPECT_EQ(queue.find("A")->last_error, "internal error: boom");
  EXPECT_EQ(queue.next_due(), kT0 + 3600s);
  EXPECT_EQ(queue.attempts_running(), 0u);
}

TEST(QueueManager, RemovedMessagesLeaveTheIndexAndTheCount) {
  QueueManager queue;
  queue.add(new_entry(envelope("A"), 10, kT0));
  queue.add(new_entry(envelope("B"), 10, kT0 + 5s));
  queue.take_due(kT0, 64);
  queue.attempt_removed("A");
  EXPECT_EQ(queue.size(), 1u);
  EXPECT_EQ(queue.attempts_running(), 0u);
  queue.forget("B");
  EXPECT_EQ(queue.next_due(), std::nullopt);
  EXPECT_TRUE(queue.take_due(kT0 + 1h, 64).empty());
}

TEST(QueueManager, CountsByState) {
  QueueManager queue;
  queue.add(new_entry(envelope("ready"), 10, kT0 - 10min));
  queue.add(new_entry(envelope("active"), 10, kT0 - 20min));
  queue.add(new_entry(envelope("later"), 10, kT0 + 1h));
  auto held = new_entry(envelope("held"), 10, kT0 - 30min);
  held.held = true;
  queue.add(held);
  queue.take_due(kT0 - 15min, 1);  // "active" only: it is the earliest
  const auto counts = queue.counts(kT0);
  EXPECT_EQ(counts.ready, 1u);
  EXPECT_EQ(counts.active, 1u);
  EXPECT_EQ(counts.deferred, 1u);
  EXPECT_EQ(counts.hold, 1u);
  EXPECT_EQ(counts.oldest_age, 30min);
}

TEST(QueueManager, ListIsSortedAndShowsTheState) {
  QueueManager queue;
  queue.add(new_entry(envelope("B", {"a@x.org", "b@x.org"}), 10, kT0));
  queue.add(new_entry(envelope("A"), 20, kT0));
  record_outcome(*queue.find("B"), outcome(1, DeliveryStatus::sent, "250 ok"), kT0);
  const auto list = queue.list();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].id, "A");
  EXPECT_EQ(list[1].recipients[0].state, RecipientState::pending);
  EXPECT_EQ(list[1].recipients[1].state, RecipientState::delivered);
}

// --- per-message rules ---

struct OutcomeRow {
  DeliveryStatus status;
  std::optional<DsnNotify> notify;
  RecipientState state;  // afterwards
  bool logged;           // a recipient-log line is returned
  bool reported;         // a DSN is owed
};

TEST(QueueEntryRules, RecordingAnOutcome) {
  const DsnNotify success{false, true, false, false};
  const DsnNotify never{true, false, false, false};
  const OutcomeRow rows[] = {
      {DeliveryStatus::sent, std::nullopt, RecipientState::delivered, true, false},
      {DeliveryStatus::sent, success, RecipientState::delivered, true, true},
      {DeliveryStatus::bounced, std::nullopt, RecipientState::failed, true, true},
      {DeliveryStatus::bounced, never, RecipientState::failed, true, false},
      {DeliveryStatus::deferred, std::nullopt, RecipientState::pending, false, false},
  };
  for (const auto& row : rows) {
    auto env = envelope("A");
    if (row.notify) env.recipient_dsn = {RecipientDsn{row.notify, std::nullopt}};
    auto entry = new_entry(env, 10, kT0);
    const auto line = record_outcome(entry, outcome(0, row.status, "550 5.1.1 no such user"), kT0);
    EXPECT_EQ(entry.recipients[0], row.state);
    EXPECT_EQ(line.has_value(), row.logged);
    EXPECT_EQ(entry.to_notify.size(), row.reported ? 1u : 0u);
    if (row.reported) {
      EXPECT_EQ(entry.to_notify[0].remote_mta, "mx.example.org");
      EXPECT_EQ(entry.to_notify[0].diagnostic, "550 5.1.1 no such user");
    }
  }
}

TEST(QueueEntryRules, ADeferralKeepsTheTypedLastErrorForTheDelayWarning) {
  auto entry = new_entry(envelope("A"), 10, kT0);
  record_outcome(entry, outcome(0, DeliveryStatus::deferred, "451 4.7.1 try later"), kT0);
  EXPECT_EQ(entry.last_status, (core::EnhancedStatus{4, 7, 1}));
  EXPECT_EQ(entry.last_remote_host, "mx.example.org");
  EXPECT_EQ(entry.last_remote_reply, "451 4.7.1 try later");
  // A failure of our own (no reply) names no remote server.
  record_outcome(entry, outcome(0, DeliveryStatus::deferred), kT0);
  EXPECT_EQ(entry.last_remote_host, "");
  EXPECT_EQ(entry.last_error, "connect to mx.example.org[192.0.2.1]:25: refused");
}

TEST(QueueEntryRules, AFinalRecipientIsNotChangedAgain) {
  auto entry = new_entry(envelope("A"), 10, kT0);
  ASSERT_TRUE(record_outcome(entry, outcome(0, DeliveryStatus::sent, "250 ok"), kT0));
  EXPECT_FALSE(record_outcome(entry, outcome(0, DeliveryStatus::bounced, "550 no"), kT0));
  EXPECT_FALSE(record_outcome(entry, outcome(5, DeliveryStatus::bounced, "550 no"), kT0));
  EXPECT_EQ(entry.recipients[0], RecipientState::delivered);
}

struct ExpiryRow {
  std::chrono::seconds age;
  bool expires;
};

TEST(QueueEntryRules, ExpiryFailsThePendingRecipientsPastMaxAge) {
  const ExpiryRow rows[] = {{23h, false}, {24h, true}, {30h, true}};
  for (const auto& row : rows) {
    auto entry = new_entry(envelope("A", {"a@x.org", "b@x.org"}), 10, kT0);
    entry.last_error = "451 4.4.1 unreachable";
    record_outcome(entry, outcome(0, DeliveryStatus::sent, "250 ok"), kT0);
    const auto failures = expiry_failures(entry, kT0 + row.age, 24h);
    EXPECT_EQ(entry.expired, row.expires);
    ASSERT_EQ(failures.size(), row.expires ? 1u : 0u);
    if (!row.expires) continue;
    EXPECT_EQ(failures[0].index, 1u);
    EXPECT_EQ(failures[0].status, DeliveryStatus::bounced);
    EXPECT_EQ(failures[0].enhanced_status, (core::EnhancedStatus{5, 4, 7}));
    EXPECT_EQ(failures[0].reason,
              "message expired after 24h in the queue; last error: 451 4.4.1 unreachable");
    record_outcome(entry, failures[0], kT0 + row.age);
    EXPECT_EQ(completion(entry), std::nullopt);  // the bounce is still owed
    entry.to_notify.clear();
    EXPECT_EQ(completion(entry), MessageEnd::expired);
  }
}

struct WarningRow {
  std::chrono::seconds warning_after;
  std::chrono::seconds age;
  bool already_warned;
  std::optional<DsnNotify> notify;
  std::optional<std::size_t> warned;  // nullopt: none due
};

TEST(QueueEntryRules, DelayWarnings) {
  const DsnNotify failure_only{false, false, true, false};
  const WarningRow rows[] = {
      {4h, 3h, false, std::nullopt, std::nullopt},    // not old enough
      {4h, 4h, false, std::nullopt, 1},               // NOTIFY absent means failure,delay
      {4h, 5h, true, std::nullopt, std::nullopt},     // sent before
      {0s, 100h, false, std::nullopt, std::nullopt},  // disabled
      {4h, 5h, false, failure_only, 0},               // due, but nobody asked for it
  };
  for (const auto& row : rows) {
    auto env = envelope("A");
    if (row.notify) env.recipient_dsn = {RecipientDsn{row.notify, std::nullopt}};
    auto entry = new_entry(env, 10, kT0);
    entry.delay_warned = row.already_warned;
    record_outcome(entry, outcome(0, DeliveryStatus::deferred, "451 4.7.1 greylisted"), kT0);
    const auto warned = delay_warning_due(entry, kT0 + row.age, row.warning_after, 120h);
    ASSERT_EQ(warned.has_value(), row.warned.has_value()) << row.age.count();
    if (!warned) continue;
    ASSERT_EQ(warned->size(), *row.warned);
    if (warned->empty()) continue;
    const auto& recipient = warned->front();
    EXPECT_EQ(recipient.action, DsnAction::delayed);
    EXPECT_EQ(recipient.status, (core::EnhancedStatus{4, 7, 1}));
    EXPECT_EQ(recipient.diagnostic, "451 4.7.1 greylisted");
    EXPECT_EQ(
        recipient.will_retry_until_unix,
        std::chrono::duration_cast<std::chrono::seconds>((kT0 + 120h).time_since_epoch()).count());
  }
}

struct CompletionRow {
  std::vector<DeliveryStatus> outcomes;
  std::optional<MessageEnd> end;
};

TEST(QueueEntryRules, HowAMessageEnds) {
  const CompletionRow rows[] = {
      {{DeliveryStatus::sent, DeliveryStatus::sent}, MessageEnd::delivered},
      {{DeliveryStatus::sent, DeliveryStatus::deferred}, std::nullopt},
      {{DeliveryStatus::sent, DeliveryStatus::bounced}, MessageEnd::bounced},
  };
  for (const auto& row : rows) {
    auto env = envelope("A", {"a@x.org", "b@x.org"});
    env.recipient_dsn = {RecipientDsn{DsnNotify{true, false, false, false}, std::nullopt},
                         RecipientDsn{DsnNotify{true, false, false, false}, std::nullopt}};
    auto entry = new_entry(env, 10, kT0);
    for (std::size_t i = 0; i < row.outcomes.size(); ++i)
      record_outcome(entry, outcome(i, row.outcomes[i], "250 ok"), kT0);
    EXPECT_EQ(completion(entry), row.end);
  }
}

}  // namespace
}  // namespace mxrelay::queue
