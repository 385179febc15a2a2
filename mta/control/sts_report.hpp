// mta/control: the MTA-STS part of `mxrelay route DOMAIN`: the policy in force (mode, mx
// patterns, max_age, from the cache or fetched now, with any problem on the way) and the TLS
// rule it makes of each MX host of the route, as text and as the route document's "mta_sts"
// member. Pure: the lookup comes in as a value.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "mta/mta_sts/policy_source.hpp"
#include "resolver/transport_decision.hpp"

namespace mxrelay::mta {

// What route found out; lookup is empty when MTA-STS does not apply to the route.
struct RouteSts {
  std::optional<sts::PolicyLookup> lookup;
  std::string not_applied;  // why not, when lookup is empty
};

// Why MTA-STS does not apply to the route ("" when it does).
std::string sts_not_applied(bool enabled, const resolver::TransportDecision& decision);

void print_route_sts(std::ostream& out, const RouteSts& sts, const std::vector<std::string>& hosts,
                     conf::TlsPolicy session_policy);
boost::json::object route_sts_json(const RouteSts& sts, const std::vector<std::string>& hosts,
                                   conf::TlsPolicy session_policy);

}  // namespace mxrelay::mta
