// mta/control: the circuit breaker's view for operators. The running relay answers the control
// socket's "health" request with health_to_json() of its unhealthy addresses; `mxrelay
// route` asks for it and prints which of the route's addresses are currently skipped, and
// why, after the route itself.
#pragma once

#include <boost/json.hpp>
#include <chrono>
#include <ostream>
#include <vector>

#include "conf/config.hpp"
#include "mta/outbound/address_health.hpp"
#include "resolver/route.hpp"

namespace mxrelay::mta {

// [{"destination","address","state","consecutive_failures","last_problem","last_reason",
//   "retry_in_seconds","held_by" (the relay of the cluster whose breaker it is; null: this
//   relay's)}, ...]
boost::json::array health_to_json(const std::vector<UnhealthyAddress>& unhealthy);

// The entries that concern this route: its destination (the domain or the name looked up)
// or one of its candidate addresses.
boost::json::array health_for_route(const boost::json::array& health,
                                    const resolver::RouteExplanation& explanation);

// "skipped addresses" section for the text output of `mxrelay route`; says so when the
// relay cannot be asked. Prints nothing with json (stdout stays one JSON document).
void print_skipped_addresses(std::ostream& out, const conf::Config& config,
                             const resolver::RouteExplanation& explanation, bool json);

}  // namespace mxrelay::mta
