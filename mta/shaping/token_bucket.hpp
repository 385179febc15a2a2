// mta/shaping: a site's message rate as a token bucket, kept as the time the bucket will next be
// full (the generic cell rate algorithm): `burst` messages may leave at once, then one every
// minute / rate. reserve() hands out the time a message may leave, so messages that must wait
// get distinct, evenly spread times instead of all coming back together. Pure: the time comes
// in with each call.
#pragma once

#include <chrono>
#include <cstddef>

namespace mxrelay::mta {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  // At most a tenth of the per-minute rate may leave at once (at least one).
  static std::size_t burst_for(double per_minute);

  explicit TokenBucket(double per_minute) { configure(per_minute); }
  // A new rate (> 0). The backlog already reserved beyond `now` is re-spaced at it (a slower
  // rate stretches it, a faster one compresses it); the reservations that follow use it.
  void set_rate(double per_minute, Clock::time_point now);
  double rate() const { return per_minute_; }
  std::size_t burst() const { return burst_; }

  // Takes the next token: the time the message may leave (`now` when one is there).
  Clock::time_point reserve(Clock::time_point now);
  // When a message reserving now would leave, without reserving.
  Clock::time_point next_free(Clock::time_point now) const;

 private:
  void configure(double per_minute);

  double per_minute_ = 1;
  std::size_t burst_ = 1;
  Clock::duration interval_{};
  Clock::duration tolerance_{};  // (burst - 1) intervals
  Clock::time_point full_at_{};  // the theoretical time of the next token after those reserved
};

}  // namespace mxrelay::mta
