// queue: when to try a deferred message again, and when to give up on it. Pure functions
// of the attempt history, the configuration and the clock, so they are table-tested.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mxrelay::queue {

using Clock = std::chrono::system_clock;

// Whole seconds since the Unix epoch (the spool's and the reports' time stamps).
inline std::int64_t to_unix(Clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

// Delay after the n-th consecutive failed attempt (n >= 1): intervals[n-1], the last
// interval repeating. `unit_random` in [0, 1) spreads it by up to ±10 % so that messages
// deferred together do not all come back at the same second.
std::chrono::seconds retry_delay(std::size_t failed_attempts,
                                 const std::vector<std::chrono::seconds>& intervals,
                                 double unit_random);

// A message older than max_age is not retried any more: its pending recipients fail.
bool has_expired(Clock::time_point arrival, Clock::time_point now, std::chrono::seconds max_age);

}  // namespace mxrelay::queue
