// resolver: the host names of a route's candidates, each once, in the order they are tried:
// what shaping matches its sites against and what `mxrelay route` lists per MX host.
#pragma once

#include <string>
#include <vector>

#include "resolver/route.hpp"

namespace mxrelay::resolver {

std::vector<std::string> candidate_hosts(const std::vector<Candidate>& candidates);

}  // namespace mxrelay::resolver
