// queue: the per-message rules of the queue manager (see queue_entry.hpp).
#include "queue/queue_entry.hpp"

#include <algorithm>

namespace mxrelay::queue {

namespace {
DsnRecipient report_for(const QueueEntry& entry, const DeliveryOutcome& outcome, DsnAction action,
                        const RecipientDsn& dsn, Clock::time_point now) {
  DsnRecipient out;
  out.original_recipient = dsn.orcpt;
  out.final_recipient = entry.envelope.recipients[outcome.index];
  out.action = action;
  out.status = outcome.enhanced_status;
  // Remote-MTA and Diagnostic-Code name the server that answered, with its words.
  if (!outcome.remote_reply.empty()) {
    out.remote_mta = outcome.remote.host;
    out.diagnostic = outcome.remote_reply;
  }
  out.last_attempt_unix = to_unix(now);
  return out;
}
}  // namespace

bool QueueEntry::complete() const {
  return std::ranges::none_of(recipients,
                              [](RecipientState s) { return s == RecipientState::pending; });
}

bool QueueEntry::all_delivered() const {
  return std::ranges::all_of(recipients,
                             [](RecipientState s) { return s == RecipientState::delivered; });
}

QueueEntry new_entry(Envelope envelope, std::uint64_t size, Clock::time_point now) {
  QueueEntry entry;
  entry.recipients.assign(envelope.recipients.size(), RecipientState::pending);
  entry.envelope = std::move(envelope);
  entry.size = size;
  entry.arrival = now;
  entry.next_attempt = now;
  return entry;
}

QueueEntry recovered_entry(Envelope envelope, std::uint64_t size, bool held,
                           const std::vector<RecipientOutcome>& outcomes, Clock::time_point now) {
  QueueEntry entry;
  entry.recipients.assign(envelope.recipients.size(), RecipientState::pending);
  for (const auto& outcome : outcomes)
    if (outcome.index < entry.recipients.size() && outcome.state != RecipientState::pending)
      entry.recipients[outcome.index] = outcome.state;
  entry.arrival = Clock::time_point(std::chrono::seconds(envelope.arrival_unix));
  entry.envelope = std::move(envelope);
  entry.size = size;
  entry.held = held;
  entry.next_attempt = now;
  return entry;
}

std::optional<RecipientOutcome> record_outcome(QueueEntry& entry, const DeliveryOutcome& outcome,
                                               Clock::time_point now) {
  if (outcome.index >= entry.recipients.size() ||
      entry.recipients[outcome.index] != RecipientState::pending)
    return std::nullopt;
  if (outcome.status == DeliveryStatus::deferred) {
    entry.last_error = outcome.reason;
    entry.last_status = outcome.enhanced_status;
    const bool answered = !outcome.remote_reply.empty();
    entry.last_remote_host = answered ? outcome.remote.host : std::string();
    entry.last_remote_reply = answered ? outcome.remote_reply : std::string();
    return std::nullopt;
  }
  const bool sent = outcome.status == DeliveryStatus::sent;
  const auto action = sent ? DsnAction::relayed : DsnAction::failed;
  const auto dsn = recipient_dsn_of(entry.envelope, outcome.index);
  if (should_notify(dsn.notify, action))
    entry.to_notify.push_back(report_for(entry, outcome, action, dsn, now));
  const auto state = sent ? RecipientState::delivered : RecipientState::failed;
  entry.recipients[outcome.index] = state;
  return RecipientOutcome{outcome.index, state, outcome.reason};
}

std::vector<DeliveryOutcome> expiry_failures(QueueEntry& entry, Clock::time_point now,
                                             std::chrono::seconds max_age) {
  if (entry.complete() || !has_expired(entry.arrival, now, max_age)) return {};
  const auto failure =
      core::Failure::permanent(550, {5, 4, 7},
                               "message expired after " + std::to_string(max_age.count() / 3600) +
                                   "h in the queue; last error: " + entry.last_error);
  entry.expired = true;
  std::vector<DeliveryOutcome> out;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i)
    if (entry.recipients[i] == RecipientState::pending)
      out.push_back(DeliveryOutcome::from_failure(i, failure));
  return out;
}

std::optional<std::vector<DsnRecipient>> delay_warning_due(const QueueEntry& entry,
                                                           Clock::time_point now,
                                                           std::chrono::seconds warning_after,
                                                           std::chrono::seconds max_age) {
  if (warning_after.count() == 0 || entry.delay_warned || entry.complete() ||
      now - entry.arrival < warning_after)
    return std::nullopt;
  std::vector<DsnRecipient> delayed;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i) {
    if (entry.recipients[i] != RecipientState::pending) continue;
    const auto dsn = recipient_dsn_of(entry.envelope, i);
    if (!should_notify(dsn.notify, DsnAction::delayed)) continue;
    DsnRecipient recipient;
    recipient.original_recipient = dsn.orcpt;
    recipient.final_recipient = entry.envelope.recipients[i];
    recipient.action = DsnAction::delayed;
    recipient.status = entry.last_status;
    recipient.remote_mta = entry.last_remote_host;
    recipient.diagnostic = entry.last_remote_reply;
    recipient.last_attempt_unix = to_unix(now);
    recipient.will_retry_until_unix = to_unix(entry.arrival + max_age);
    delayed.push_back(std::move(recipient));
  }
  return delayed;
}

const char* to_string(MessageEnd end) {
  switch (end) {
    case MessageEnd::delivered:
      return "delivered";
    case MessageEnd::bounced:
      return "bounced";
    case MessageEnd::expired:
      return "expired";
    case MessageEnd::deleted:
      return "deleted";
  }
  return "bounced";
}

std::optional<MessageEnd> completion(const QueueEntry& entry) {
  if (!entry.complete() || !entry.to_notify.empty()) return std::nullopt;
  if (entry.all_delivered()) return MessageEnd::delivered;
  return entry.expired ? MessageEnd::expired : MessageEnd::bounced;
}

}  // namespace mxrelay::queue
