// mta/shaping: TokenBucket.
#include "mta/shaping/token_bucket.hpp"

#include <algorithm>

namespace mxrelay::mta {

std::size_t TokenBucket::burst_for(double per_minute) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(per_minute / 10));
}

void TokenBucket::set_rate(double per_minute, Clock::time_point now) {
  const auto old_interval = interval_;
  configure(per_minute);
  if (full_at_ > now && old_interval > Clock::duration::zero())
    full_at_ = now + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(full_at_ - now) *
                         (std::chrono::duration<double>(interval_) / old_interval));
}

void TokenBucket::configure(double per_minute) {
  per_minute_ = std::max(per_minute, 1e-3);
  burst_ = burst_for(per_minute_);
  interval_ = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(60.0 / per_minute_));
  tolerance_ = interval_ * static_cast<Clock::rep>(burst_ - 1);
}

TokenBucket::Clock::time_point TokenBucket::next_free(Clock::time_point now) const {
  const auto theoretical = std::max(full_at_, now);
  return std::max(now, theoretical - tolerance_);
}

TokenBucket::Clock::time_point TokenBucket::reserve(Clock::time_point now) {
  const auto leaves = next_free(now);
  full_at_ = std::max(full_at_, now) + interval_;
  return leaves;
}

}  // namespace mxrelay::mta
