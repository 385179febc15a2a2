// mta/outbound: per-address health of remote SMTP servers, as a pure state machine with the time
// passed in. For each (destination, IP address) it remembers consecutive failures (connection
// refused or timed out, TLS failure, 4xx greeting, 4xx after MAIL) and runs a circuit breaker:
// after `failure_threshold` consecutive failures the address is skipped (open) for
// `cool_down`, then one delivery may probe it (half-open); the probe's success closes the
// breaker, its failure opens it again. Healthy addresses are not stored; at most
// `max_tracked` failing ones are, the longest-quiet dropped first. With a [cluster], the
// breakers other relays opened are held here too (apply_cluster_holds): such an address is
// skipped until the other relay's cool-down ends, as if it had failed here.
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
  std::string held_by;  // the relay of the cluster whose breaker it is; "" for this relay's
};

// A breaker another relay of the cluster opened, as its last poll found it.
struct ClusterHold {
  std::string destination;
  core::IpAddress address;
  std::chrono::steady_clock::time_point until;
  std::string reason;
  std::string node;
};

class AddressHealth {
 public:
  using Clock = std::chrono::steady_clock;

  explicit AddressHealth(AddressHealthSettings settings = {}) : settings_(settings) {}
  // New thresholds (a reload); the failures already recorded are kept.
  void set_settings(AddressHealthSettings settings) { settings_ = settings; }

  Admission admit(std::string_view destination, const core::IpAddress& address,
                  Clock::time_point now);
  // Whether the address was held (open or half-open): a hold the cluster may share ends.
  bool record_success(std::string_view destination, const core::IpAddress& address);
  // Whether this failure opened the breaker (the address is skipped from now on).
  bool record_failure(std::string_view destination, const core::IpAddress& address,
                      HealthProblem problem, std::string reason, Clock::time_point now);
  // The holds the other relays of the cluster publish now (all of them, as one poll found
  // them): each is held here until its end unless this relay's own breaker is open; a hold
  // learned earlier and gone from `holds` (cleared or expired) ends. Returns the holds that
  // are news (not held from the cluster before, or longer now).
  std::vector<ClusterHold> apply_cluster_holds(const std::vector<ClusterHold>& holds,
                                               Clock::time_point now);

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
    std::string held_by;  // a hold learned from the cluster: the relay that opened it
    Clock::time_point held_until{};
  };
  using Key = std::pair<std::string, core::IpAddress>;

  static Key key_of(std::string_view destination, const core::IpAddress& address);
  void evict_if_full();
  // When an open breaker lets a probe through.
  Clock::time_point open_until(const Record& record) const;
  UnhealthyAddress describe(const Key& key, const Record& record, Clock::time_point now) const;

  AddressHealthSettings settings_;
  std::map<Key, Record> records_;
};

}  // namespace mxrelay::mta
