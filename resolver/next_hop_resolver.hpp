// resolver: next-hop resolution for one destination, end to end. Asks the DNS through
// UnboundClient, lets the pure policy (next_hop_policy.hpp) decide, and returns the whole
// story as a RouteExplanation (every query in order, notes, and the verdict).
#pragma once

#include <cstdint>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "next_hop_policy.hpp"
#include "resolver_observer.hpp"
#include "route.hpp"
#include "unbound_client.hpp"

namespace mxrelay::resolver {

class NextHopResolver {
 public:
  // dns and observer must outlive the resolver; observer may be null.
  NextHopResolver(UnboundClient& dns, PolicyContext policy, ResolverObserver* observer = nullptr);

  // Strict RFC 5321 5.1 MX resolution of domain; candidates get the given port.
  boost::asio::awaitable<RouteExplanation> resolve_mx(std::string domain, std::uint16_t port);

  // Addresses of one named host (or an address literal), never its MX: the transport-map
  // `host =` case.
  boost::asio::awaitable<RouteExplanation> resolve_host(std::string host, std::uint16_t port);

  // The DNS client behind it (TLSA lookups for DANE use the same resolver).
  UnboundClient& dns() { return dns_; }

 private:
  boost::asio::awaitable<DnsAnswer> ask(std::string name, RrType type);
  boost::asio::awaitable<std::vector<DnsAnswer>> ask_addresses(const MxPlan& plan);
  RouteExplanation finish(RouteExplanation explanation);

  UnboundClient& dns_;
  PolicyContext policy_;
  ResolverObserver* observer_;
  RandomSource random_;
};

}  // namespace mxrelay::resolver
