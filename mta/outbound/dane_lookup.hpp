// mta/outbound: the DNS half of DANE for one delivery candidate: reads the DNSSEC status of the
// route's MX and address answers, looks up the candidate's TLSA RRset when both are secure, and
// lets the pure decide_dane() turn it into the requirement for the session and the handshake.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "mta/outbound/dane_policy.hpp"
#include "resolver/route.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta {

// policy is dane or dane_only. dns, route and candidate must outlive the coroutine.
boost::asio::awaitable<DaneRequirement> dane_requirement(resolver::UnboundClient& dns,
                                                         TlsPolicy policy,
                                                         const resolver::RouteExplanation& route,
                                                         const resolver::Candidate& candidate);

}  // namespace mxrelay::mta
