// mta/cluster: what one relay keeps to while the cluster's Redis is unreachable: its share of a
// site's limits (the limit divided by the expected number of relays), and when the cluster's
// availability changes, so that it is logged once per change, not once per call. Pure.
#pragma once

#include <cstddef>
#include <optional>

namespace mxrelay::mta {

// A site's connection limit for one of `nodes` relays: ceil(limit / nodes), at least 1; 0 (no
// limit) stays 0.
std::size_t fallback_connection_limit(std::size_t limit, unsigned nodes);
// A site's messages per minute for one of `nodes` relays: per_minute / nodes; 0 (no limit)
// stays 0.
double fallback_rate(double per_minute, unsigned nodes);

// Whether the cluster is available, from the outcome of each call and each connection change.
class ClusterAvailability {
 public:
  enum class Change { none, available, unavailable };

  // The change this outcome makes: the first outcome always is one.
  Change note(bool up);
  bool up() const { return up_.value_or(false); }

 private:
  std::optional<bool> up_;
};

}  // namespace mxrelay::mta
