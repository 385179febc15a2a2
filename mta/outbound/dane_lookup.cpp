// mta/outbound: TLSA lookup for one candidate (see dane_lookup.hpp).
#include "mta/outbound/dane_lookup.hpp"

namespace mxrelay::mta {

boost::asio::awaitable<DaneRequirement> dane_requirement(resolver::UnboundClient& dns,
                                                         TlsPolicy policy,
                                                         const resolver::RouteExplanation& route,
                                                         const resolver::Candidate& candidate) {
  const auto dnssec = dnssec_of(route, candidate);
  if (!needs_tlsa_lookup(policy, dnssec))
    co_return decide_dane(policy, dnssec, nullptr, candidate.host);
  auto tlsa = co_await dns.query_tlsa(candidate.host, candidate.port);
  co_return decide_dane(policy, dnssec, &tlsa, candidate.host);
}

}  // namespace mxrelay::mta
