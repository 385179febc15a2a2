// queue: retry interval selection with jitter, and queue lifetime.
#include "retry_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace mxrelay::queue {

std::chrono::seconds retry_delay(std::size_t failed_attempts,
                                 const std::vector<std::chrono::seconds>& intervals,
                                 double unit_random) {
  if (intervals.empty()) return std::chrono::seconds(300);
  auto index = std::min(std::max<std::size_t>(failed_attempts, 1), intervals.size()) - 1;
  auto base = static_cast<double>(intervals[index].count());
  auto factor = 0.9 + 0.2 * std::clamp(unit_random, 0.0, 1.0);
  return std::chrono::seconds(std::max<long long>(1, std::llround(base * factor)));
}

bool has_expired(Clock::time_point arrival, Clock::time_point now, std::chrono::seconds max_age) {
  return now - arrival >= max_age;
}

}  // namespace mxrelay::queue
