// mta/outbound: DestinationBackoff.
#include "mta/outbound/destination_backoff.hpp"

#include <algorithm>

namespace mxrelay::mta {

std::optional<DestinationBackoff::Clock::time_point> DestinationBackoff::backed_off_until(
    std::string_view destination, Clock::time_point now) const {
  const auto found = records_.find(destination);
  if (found == records_.end() || found->second.until <= now) return std::nullopt;
  return found->second.until;
}

std::optional<DestinationBackoff::Clock::time_point> DestinationBackoff::record_failure(
    std::string_view destination, Clock::time_point now) {
  auto found = records_.find(destination);
  if (found == records_.end()) {
    evict_if_full();
    found = records_.emplace(std::string(destination), Record{}).first;
  }
  auto& record = found->second;
  ++record.consecutive_failures;
  record.last_failure = now;
  if (record.consecutive_failures < settings_.failure_threshold) return std::nullopt;
  record.until = now + backoff_for(record.consecutive_failures);
  return record.until;
}

void DestinationBackoff::record_success(std::string_view destination) {
  const auto found = records_.find(destination);
  if (found != records_.end()) records_.erase(found);
}

DestinationBackoff::Clock::duration DestinationBackoff::backoff_for(
    unsigned consecutive_failures) const {
  auto backoff = settings_.initial;
  for (unsigned n = settings_.failure_threshold; n < consecutive_failures; ++n) {
    if (backoff >= settings_.maximum / 2) return settings_.maximum;
    backoff *= 2;
  }
  return std::min(backoff, settings_.maximum);
}

void DestinationBackoff::evict_if_full() {
  if (records_.size() < settings_.max_tracked || records_.empty()) return;
  const auto quietest = std::ranges::min_element(
      records_, {}, [](const auto& entry) { return entry.second.last_failure; });
  records_.erase(quietest);
}

}  // namespace mxrelay::mta
