// queue: one queued message as the queue manager holds it in memory (the envelope and its
// schedule; the body stays in the spool), and the pure rules that move it along: recording
// a recipient's outcome, expiry after queue.max_age, the delay warning it may owe, and how
// it ends. Plain data and a clock value in, plain data out: table-tested without I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "queue/delivery_outcome.hpp"
#include "queue/dsn_report.hpp"
#include "queue/message_record.hpp"
#include "queue/retry_schedule.hpp"

namespace mxrelay::queue {

struct QueueEntry {
  Envelope envelope;
  std::vector<RecipientState> recipients;  // one per Envelope::recipients
  std::uint64_t size = 0;
  Clock::time_point arrival;  // sub-second for messages accepted by this process
  std::size_t failed_attempts = 0;
  Clock::time_point next_attempt;
  // The latest reason the message waits, for the operator ("queue list") and the delay
  // warning: a deferral, a hold, a back-off, a spool problem.
  std::string last_error;
  // The latest deferral, typed, for the delay warning's Status, Remote-MTA and
  // Diagnostic-Code.
  core::EnhancedStatus last_status{4, 0, 0};
  std::string last_remote_host;
  std::string last_remote_reply;
  bool held = false;
  bool in_flight = false;  // an attempt or an operator command has it
  bool delay_warned = false;
  bool expired = false;  // its pending recipients failed because it outlived queue.max_age
  // Recipients that ended since the last notification and asked to be told (NOTIFY).
  std::vector<DsnRecipient> to_notify;

  bool complete() const;  // no recipient pending
  bool all_delivered() const;
};

// A message just accepted (due at once) and one found in the spool on start (its recorded
// outcomes applied; due at once, unless held).
QueueEntry new_entry(Envelope envelope, std::uint64_t size, Clock::time_point now);
QueueEntry recovered_entry(Envelope envelope, std::uint64_t size, bool held,
                           const std::vector<RecipientOutcome>& outcomes, Clock::time_point now);

// Applies one recipient's outcome of an attempt. A final one (sent, bounced) changes the
// recipient's state, queues a report when the recipient asked for one (NOTIFY), and returns
// the line for the spool's recipient log; a deferral only updates the last error.
std::optional<RecipientOutcome> record_outcome(QueueEntry& entry, const DeliveryOutcome& outcome,
                                               Clock::time_point now);

// Past max_age with recipients pending: marks the entry expired and returns one 5.4.7
// failure per pending recipient (to be recorded); nothing otherwise.
std::vector<DeliveryOutcome> expiry_failures(QueueEntry& entry, Clock::time_point now,
                                             std::chrono::seconds max_age);

// The delay warning owed now: nullopt when none is (disabled, already sent, nothing pending,
// not old enough); else the pending recipients that asked for one (possibly none: then the
// warning is owed to nobody and the caller marks it sent).
std::optional<std::vector<DsnRecipient>> delay_warning_due(const QueueEntry& entry,
                                                           Clock::time_point now,
                                                           std::chrono::seconds warning_after,
                                                           std::chrono::seconds max_age);

// How a message leaves the queue (the messages_finished metric's outcome label).
enum class MessageEnd { delivered, bounced, expired, deleted };
const char* to_string(MessageEnd end);

// The end of an attempt: nullopt while a recipient is pending or a report is still owed.
std::optional<MessageEnd> completion(const QueueEntry& entry);

}  // namespace mxrelay::queue
