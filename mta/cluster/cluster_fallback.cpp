// mta/cluster: the fallback limits and ClusterAvailability.
#include "mta/cluster/cluster_fallback.hpp"

#include <algorithm>

namespace mxrelay::mta {

std::size_t fallback_connection_limit(std::size_t limit, unsigned nodes) {
  if (limit == 0) return 0;
  const std::size_t n = std::max(1u, nodes);
  return std::max<std::size_t>(1, (limit + n - 1) / n);
}

double fallback_rate(double per_minute, unsigned nodes) {
  if (per_minute <= 0) return 0;
  return per_minute / std::max(1u, nodes);
}

ClusterAvailability::Change ClusterAvailability::note(bool up) {
  if (up_ == up) return Change::none;
  up_ = up;
  return up ? Change::available : Change::unavailable;
}

}  // namespace mxrelay::mta
