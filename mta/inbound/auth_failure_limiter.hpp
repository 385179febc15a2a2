// mta/inbound: rate limiting of failed AUTH attempts per client address. A client with
// `max_failures` failures inside the sliding `window` is locked out until the oldest of
// them leaves the window. Memory is bounded by `max_clients`. Pure: the caller passes time.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>

namespace mxrelay::mta {

class AuthFailureLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  AuthFailureLimiter(std::size_t max_failures, Clock::duration window,
                     std::size_t max_clients = 10'000);

  bool locked_out(const std::string& client, Clock::time_point now);
  void record_failure(const std::string& client, Clock::time_point now);
  void record_success(const std::string& client);
  std::size_t tracked_clients() const { return failures_.size(); }
  // New limits (a reload); the failures already counted are kept.
  void set_limits(std::size_t max_failures, Clock::duration window);

 private:
  void forget_expired(std::deque<Clock::time_point>& times, Clock::time_point now) const;
  void make_room(Clock::time_point now);

  std::size_t max_failures_;
  Clock::duration window_;
  std::size_t max_clients_;
  std::unordered_map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace mxrelay::mta
