// mta/outbound: per-address health of remote SMTP servers, as a pure state machine with the time
// passed in. For each (destination, IP address) it remembers consecutive failures (connection
// refused or timed out, TLS failure, 4xx greeting, 4xx after MAIL) and runs a circuit breaker:
// after `failure_threshold` consecutive failures the address is skipped (open) for
// `cool_down`, then one delivery may probe it (half-open); the probe's success closes the
// breaker, its failure opens it again. Healthy addresses are not stored; at most
// `max_tracked` failing ones are, the longest-quiet dropped first.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ip_address.hpp"

namespace mxrelay::mta {

struct AddressHealthSettings {
  unsigned failure_threshold = 3;
  std::chrono::steady_clock::duration cool_down = std::chrono::minutes(5);
  std::size_t max_tracked = 10000;
};

enum class HealthProblem {
  connect_failed,  // refused, unreachable, reset
  connect_timeout,
  tls_failure,         // handshake or verification
  greeting_temporary,  // 4xx (or 421) greeting, or the connection dropped before EHLO ended
  mail_temporary,      // 4xx to MAIL FROM, or 421 in a transaction
};
std::string_view to_string(HealthProblem problem);

enum class BreakerState { closed, open, half_open };
std::string_view to_string(BreakerState state);

// What a delivery may do with an address now.
enum class Admission {
  use,    // healthy or still below the threshold
  probe,  // cool-down over: this delivery is the one half-open probe
  skip,   // open, or a probe is already under way
};

struct UnhealthyAddress {
  std::string destination;
  core::IpAddress address;
  BreakerState state = BreakerState::open;
  unsigned consecutive_failures = 0;
  HealthProblem last_problem = HealthProblem::connect_failed;
  std::string last_reason;
  std::chrono::steady_clock::duration retry_in{};  // until the next probe; 0 in half-open
};

class AddressHealth {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AddressHealth(AddressHealthSettings settings = {}) : settings_(settings) {}
  // New thresholds (a reload); the failures already recorded are kept.
  void set_settings(AddressHealthSettings settings) { settings_ = settings; }

  Admission admit(std::string_view destination, const core::IpAddress& address,
                  Clock::time_point now);
  void record_success(std::string_view destination, const core::IpAddress& address);
  void record_failure(std::string_view destination, const core::IpAddress& address,
                      HealthProblem problem, std::string reason, Clock::time_point now);

  // When the last failure was recorded; nullopt for a healthy address.
  std::optional<Clock::time_point> last_failure(std::string_view destination,
                                                const core::IpAddress& address) const;
  // Addresses whose breaker is open or half-open, for metrics and `mxrelay route`.
  std::vector<UnhealthyAddress> unhealthy(Clock::time_point now) const;
  std::vector<UnhealthyAddress> unhealthy(std::string_view destination,
                                          Clock::time_point now) const;

 private:
  struct Record {
    BreakerState state = BreakerState::closed;
    unsigned consecutive_failures = 0;
    HealthProblem last_problem = HealthProblem::connect_failed;
    std::string last_reason;
    Clock::time_point last_failure{};
    Clock::time_point opened_at{};
    Clock::time_point probe_started{};
  };
  using Key = std::pair<std::string, core::IpAddress>;

  static Key key_of(std::string_view destination, const core::IpAddress& address);
  void evict_if_full();
  UnhealthyAddress describe(const Key& key, const Record& record, Clock::time_point now) const;

  AddressHealthSettings settings_;
  std::map<Key, Record> records_;
};

}  // namespace mxrelay::mta
