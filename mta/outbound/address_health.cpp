// mta/outbound: the per-address circuit breaker (see address_health.hpp).
#include "mta/outbound/address_health.hpp"

#include <algorithm>
#include <cctype>

namespace mxrelay::mta {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string_view to_string(HealthProblem problem) {
  switch (problem) {
    case HealthProblem::connect_failed:
      return "connect_failed";
    case HealthProblem::connect_timeout:
      return "connect_timeout";
    case HealthProblem::tls_failure:
      return "tls_failure";
    case HealthProblem::greeting_temporary:
      return "greeting_temporary";
    case HealthProblem::mail_temporary:
      return "mail_temporary";
  }
  return "connect_failed";
}

std::string_view to_string(BreakerState state) {
  switch (state) {
    case BreakerState::closed:
      return "closed";
    case BreakerState::open:
      return "open";
    case BreakerState::half_open:
      return "half_open";
  }
  return "closed";
}

AddressHealth::Key AddressHealth::key_of(std::string_view destination,
                                         const core::IpAddress& address) {
  return {lower(destination), address};
}

Admission AddressHealth::admit(std::string_view destination, const core::IpAddress& address,
                               Clock::time_point now) {
  const auto found = records_.find(key_of(destination, address));
  if (found == records_.end()) return Admission::use;
  Record& record = found->second;
  switch (record.state) {
    case BreakerState::closed:
      return Admission::use;
    case BreakerState::open:
      if (now < open_until(record)) return Admission::skip;
      break;
    case BreakerState::half_open:
      // A probe that never reported back (its delivery was abandoned) is replaced.
      if (now - record.probe_started < settings_.cool_down) return Admission::skip;
      break;
  }
  record.state = BreakerState::half_open;
  record.probe_started = now;
  return Admission::probe;
}

AddressHealth::Clock::time_point AddressHealth::open_until(const Record& record) const {
  return record.held_by.empty() ? record.opened_at + settings_.cool_down : record.held_until;
}

bool AddressHealth::record_success(std::string_view destination, const core::IpAddress& address) {
  const auto found = records_.find(key_of(destination, address));
  if (found == records_.end()) return false;
  const bool held = found->second.state != BreakerState::closed;
  records_.erase(found);
  return held;
}

bool AddressHealth::record_failure(std::string_view destination, const core::IpAddress& address,
                                   HealthProblem problem, std::string reason,
                                   Clock::time_point now) {
  auto [found, inserted] = records_.try_emplace(key_of(destination, address));
  Record& record = found->second;
  ++record.consecutive_failures;
  record.last_problem = problem;
  record.last_reason = std::move(reason);
  record.last_failure = now;
  // A hold learned from the cluster becomes this relay's own once it fails here too.
  const bool from_cluster = !record.held_by.empty();
  const bool was_open = record.state == BreakerState::open && !from_cluster;
  record.held_by.clear();
  const bool opens = record.state == BreakerState::half_open || from_cluster ||
                     record.consecutive_failures >= settings_.failure_threshold;
  if (opens) {
    record.state = BreakerState::open;
    record.opened_at = now;
  }
  if (inserted) evict_if_full();
  return opens && !was_open;
}

std::vector<ClusterHold> AddressHealth::apply_cluster_holds(const std::vector<ClusterHold>& holds,
                                                            Clock::time_point now) {
  std::vector<ClusterHold> news;
  std::map<Key, const ClusterHold*> current;
  for (const auto& hold : holds)
    if (hold.until > now) current.insert_or_assign(key_of(hold.destination, hold.address), &hold);
  std::erase_if(records_, [&](const auto& entry) {
    return !entry.second.held_by.empty() && !current.contains(entry.first);
  });
  for (const auto& [key, hold] : current) {
    auto [found, inserted] = records_.try_emplace(key);
    Record& record = found->second;
    // This relay's own open breaker (or its probe) stands.
    if (!inserted && record.held_by.empty() && record.state != BreakerState::closed) continue;
    const bool longer = record.held_by.empty() || hold->until > record.held_until;
    if (record.held_by.empty() || longer) {
      record.state = BreakerState::open;
      record.held_by = hold->node;
      record.held_until = hold->until;
      record.opened_at = now;
      record.last_reason = hold->reason;
      record.last_failure = now;
    }
    if (longer) news.push_back(*hold);
    if (inserted) evict_if_full();
  }
  return news;
}

void AddressHealth::evict_if_full() {
  while (records_.size() > settings_.max_tracked) {
    auto quietest = std::ranges::min_element(
        records_, {}, [](const auto& entry) { return entry.second.last_failure; });
    records_.erase(quietest);
  }
}

std::optional<AddressHealth::Clock::time_point> AddressHealth::last_failure(
    std::string_view destination, const core::IpAddress& address) const {
  const auto found = records_.find(key_of(destination, address));
  if (found == records_.end()) return std::nullopt;
  return found->second.last_failure;
}

UnhealthyAddress AddressHealth::describe(const Key& key, const Record& record,
                                         Clock::time_point now) const {
  UnhealthyAddress out{
      key.first,           key.second,         record.state, record.consecutive_failures,
      record.last_problem, record.last_reason, {},           record.held_by};
  if (record.state == BreakerState::open)
    out.retry_in = std::max(Clock::duration::zero(), open_until(record) - now);
  return out;
}

std::vector<UnhealthyAddress> AddressHealth::unhealthy(Clock::time_point now) const {
  std::vector<UnhealthyAddress> out;
  for (const auto& [key, record] : records_)
    if (record.state != BreakerState::closed) out.push_back(describe(key, record, now));
  return out;
}

std::vector<UnhealthyAddress> AddressHealth::unhealthy(std::string_view destination,
                                                       Clock::time_point now) const {
  std::vector<UnhealthyAddress> out;
  const auto wanted = lower(destination);
  for (const auto& [key, record] : records_)
    if (key.first == wanted && record.state != BreakerState::closed)
      out.push_back(describe(key, record, now));
  return out;
}

}  // namespace mxrelay::mta
