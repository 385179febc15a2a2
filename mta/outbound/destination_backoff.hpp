// mta/outbound: per-destination back-off, as a pure decision with the time passed in. A destination
// (a next hop: a transport host or an MX-resolved domain) whose attempts keep failing at the
// connection level (every address refused, timed out or said 421) is backed off as a whole:
// after `failure_threshold` consecutive such attempts no message is attempted to it until
// the back-off ends. The back-off doubles with every further failure, from `initial` up to
// `maximum`; the attempt after a back-off ends is a probe, and one success clears it all.
// At most `max_tracked` failing destinations are kept, the longest-quiet dropped first.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::mta {

struct DestinationBackoffSettings {
  unsigned failure_threshold = 5;
  std::chrono::steady_clock::duration initial = std::chrono::minutes(1);
  std::chrono::steady_clock::duration maximum = std::chrono::hours(1);
  std::size_t max_tracked = 10000;
};

class DestinationBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  explicit DestinationBackoff(DestinationBackoffSettings settings = {}) : settings_(settings) {}

  // When the destination's back-off ends, if it is backed off now.
  std::optional<Clock::time_point> backed_off_until(std::string_view destination,
                                                    Clock::time_point now) const;
  // An attempt in which every address failed at the connection level. Returns the end of
  // the back-off this failure starts (nullopt while still below the threshold).
  std::optional<Clock::time_point> record_failure(std::string_view destination,
                                                  Clock::time_point now);
  // Any address accepted the conversation: the destination is healthy again.
  void record_success(std::string_view destination);

 private:
  struct Record {
    unsigned consecutive_failures = 0;
    Clock::time_point last_failure{};
    Clock::time_point until{};
  };

  Clock::duration backoff_for(unsigned consecutive_failures) const;
  void evict_if_full();

  DestinationBackoffSettings settings_;
  std::map<std::string, Record, std::less<>> records_;
};

}  // namespace mxrelay::mta
