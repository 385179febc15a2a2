// resolver: candidate_hosts().
#include "resolver/candidate_hosts.hpp"

#include <algorithm>

namespace mxrelay::resolver {

std::vector<std::string> candidate_hosts(const std::vector<Candidate>& candidates) {
  std::vector<std::string> out;
  for (const auto& candidate : candidates)
    if (std::ranges::find(out, candidate.host) == out.end()) out.push_back(candidate.host);
  return out;
}

}  // namespace mxrelay::resolver
