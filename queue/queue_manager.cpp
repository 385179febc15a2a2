// queue: the in-memory queue, its due index and the operator's levers (see queue_manager.hpp).
#include "queue/queue_manager.hpp"

#include <algorithm>

#include "core/domain_name.hpp"

namespace mxrelay::queue {

std::string recipient_domain(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : core::canonical_domain(address.substr(at + 1));
}

void QueueManager::add(QueueEntry entry) {
  // Kept small for a large backlog: nothing here reads the client or HELO (`queue show`
  // reads them from the record), and the vectors never grow after this.
  std::string().swap(entry.envelope.client_address);
  std::string().swap(entry.envelope.helo);
  entry.envelope.recipients.shrink_to_fit();
  entry.recipients.shrink_to_fit();
  auto id = entry.envelope.id;
  const auto& added = entries_.insert_or_assign(std::move(id), std::move(entry)).first->second;
  if (!added.in_flight && !added.held) index(added);
}

QueueEntry* QueueManager::find(const std::string& id) {
  auto found = entries_.find(id);
  return found == entries_.end() ? nullptr : &found->second;
}

const QueueEntry* QueueManager::find(const std::string& id) const {
  auto found = entries_.find(id);
  return found == entries_.end() ? nullptr : &found->second;
}

void QueueManager::forget(const std::string& id) {
  entries_.erase(id);
}

void QueueManager::index(const QueueEntry& entry) {
  due_.push({entry.next_attempt, entry.arrival, entry.envelope.id});
}

bool QueueManager::startable(const QueueEntry& entry, Clock::time_point now) const {
  return !entry.in_flight && !entry.held && entry.next_attempt <= now;
}

QueueEntry& QueueManager::start(QueueEntry& entry) {
  entry.in_flight = true;
  ++attempts_running_;
  return entry;
}

std::vector<std::string> QueueManager::take_due(Clock::time_point now, std::size_t limit) {
  std::vector<std::string> out;
  while (!due_.empty() && attempts_running_ < limit && due_.top().when <= now) {
    auto due = due_.top();
    due_.pop();
    auto* entry = find(due.id);
    if (!entry || entry->next_attempt != due.when || !startable(*entry, now)) continue;
    out.push_back(start(*entry).envelope.id);
  }
  return out;
}

std::vector<std::string> QueueManager::sweep_due(Clock::time_point now, std::size_t limit) {
  std::vector<std::string> out;
  for (auto& [id, entry] : entries_) {
    if (attempts_running_ >= limit) break;
    if (startable(entry, now)) out.push_back(start(entry).envelope.id);
  }
  return out;
}

std::optional<Clock::time_point> QueueManager::next_due() {
  while (!due_.empty()) {
    const auto& top = due_.top();
    const auto* entry = find(top.id);
    if (entry && !entry->in_flight && !entry->held && entry->next_attempt == top.when)
      return top.when;
    due_.pop();
  }
  return std::nullopt;
}

Clock::time_point QueueManager::reschedule(const std::string& id, const ScheduleSettings& settings,
                                           Clock::time_point now, double unit_random,
                                           std::optional<Clock::time_point> resume_at) {
  auto& entry = entries_.at(id);
  if (resume_at) {
    entry.next_attempt = *resume_at;
  } else {
    ++entry.failed_attempts;
    entry.next_attempt =
        now + retry_delay(entry.failed_attempts, settings.retry_intervals, unit_random);
  }
  end_attempt(entry);
  return entry.next_attempt;
}

void QueueManager::retry_later(const std::string& id, std::string reason,
                               const ScheduleSettings& settings, Clock::time_point now) {
  auto* entry = find(id);
  if (!entry || !entry->in_flight) return;
  entry->last_error = std::move(reason);
  entry->next_attempt = now + settings.retry_intervals.back();
  end_attempt(*entry);
}

void QueueManager::end_attempt(QueueEntry& entry) {
  --attempts_running_;
  entry.in_flight = false;
  if (!entry.held) index(entry);
}

void QueueManager::attempt_removed(const std::string& id) {
  if (entries_.erase(id) > 0) --attempts_running_;
}

std::expected<QueueEntry*, std::string> QueueManager::claim(const std::string& id) {
  auto* entry = find(id);
  if (!entry) return std::unexpected("no message " + id + " in the queue");
  if (entry->in_flight)
    return std::unexpected("message " + id + " is being delivered right now; try again shortly");
  entry->in_flight = true;
  return entry;
}

void QueueManager::unclaim(const std::string& id, bool due_now, Clock::time_point now) {
  auto* entry = find(id);
  if (!entry) return;
  entry->in_flight = false;
  if (due_now) entry->next_attempt = now;
  if (!entry->held) index(*entry);
}

std::size_t QueueManager::flush(const std::optional<std::string>& id,
                                const std::optional<std::string>& domain, Clock::time_point now) {
  std::size_t count = 0;
  const auto wanted_domain = domain ? core::canonical_domain(*domain) : std::string();
  auto matches = [&](const QueueEntry& entry) {
    return std::ranges::any_of(entry.envelope.recipients, [&](const std::string& recipient) {
      return recipient_domain(recipient) == wanted_domain;
    });
  };
  for (auto& [entry_id, entry] : entries_) {
    if (id && entry_id != *id) continue;
    if (domain && !matches(entry)) continue;
    entry.next_attempt = now;
    if (!entry.in_flight && !entry.held) index(entry);
    ++count;
  }
  return count;
}

QueueEntryView QueueManager::view(const QueueEntry& entry) const {
  QueueEntryView out;
  out.id = entry.envelope.id;
  out.arrival_unix = entry.envelope.arrival_unix;
  out.size = entry.size;
  out.sender = entry.envelope.sender;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i)
    out.recipients.push_back({entry.envelope.recipients[i], entry.recipients[i]});
  out.attempts = entry.failed_attempts;
  out.next_attempt_unix = to_unix(entry.next_attempt);
  out.last_error = entry.last_error;
  out.held = entry.held;
  out.in_flight = entry.in_flight;
  return out;
}

std::vector<QueueEntryView> QueueManager::list() const {
  std::vector<QueueEntryView> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(view(entry));
  std::ranges::sort(out, {}, &QueueEntryView::id);
  return out;
}

QueueCounts QueueManager::counts(Clock::time_point now) const {
  // One pass over the in-memory envelopes (a few ms with a million queued): the driver runs
  // it about once a second, never once per attempt.
  QueueCounts out;
  auto oldest = now;
  for (const auto& [id, entry] : entries_) {
    oldest = std::min(oldest, entry.arrival);
    if (entry.in_flight)
      ++out.active;
    else if (entry.held)
      ++out.hold;
    else if (entry.next_attempt <= now)
      ++out.ready;
    else
      ++out.deferred;
  }
  out.oldest_age = now - oldest;
  return out;
}

}  // namespace mxrelay::queue
