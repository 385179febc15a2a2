// mta/inbound: sliding-window counting of AUTH failures per client.
#include "mta/inbound/auth_failure_limiter.hpp"

#include <algorithm>
#include <iterator>

namespace mxrelay::mta {

AuthFailureLimiter::AuthFailureLimiter(std::size_t max_failures, Clock::duration window,
                                       std::size_t max_clients)
    : max_failures_(std::max<std::size_t>(max_failures, 1)),
      window_(window),
      max_clients_(std::max<std::size_t>(max_clients, 1)) {}

void AuthFailureLimiter::forget_expired(std::deque<Clock::time_point>& times,
                                        Clock::time_point now) const {
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
}

void AuthFailureLimiter::set_limits(std::size_t max_failures, Clock::duration window) {
  max_failures_ = std::max<std::size_t>(max_failures, 1);
  window_ = window;
}

bool AuthFailureLimiter::locked_out(const std::string& client, Clock::time_point now) {
  auto entry = failures_.find(client);
  if (entry == failures_.end()) return false;
  forget_expired(entry->second, now);
  if (entry->second.empty()) {
    failures_.erase(entry);
    return false;
  }
  return entry->second.size() >= max_failures_;
}

void AuthFailureLimiter::record_failure(const std::string& client, Clock::time_point now) {
  if (!failures_.contains(client)) make_room(now);
  auto& times = failures_[client];
  forget_expired(times, now);
  times.push_back(now);
  while (times.size() > max_failures_) times.pop_front();
}

void AuthFailureLimiter::record_success(const std::string& client) {
  failures_.erase(client);
}

// Drops expired entries; when every entry is still live, drops the one whose latest
// failure is oldest.
void AuthFailureLimiter::make_room(Clock::time_point now) {
  if (failures_.size() < max_clients_) return;
  for (auto entry = failures_.begin(); entry != failures_.end();) {
    forget_expired(entry->second, now);
    entry = entry->second.empty() ? failures_.erase(entry) : std::next(entry);
  }
  if (failures_.size() < max_clients_) return;
  auto stalest = std::ranges::min_element(
      failures_, [](const auto& a, const auto& b) { return a.second.back() < b.second.back(); });
  failures_.erase(stalest);
}

}  // namespace mxrelay::mta
