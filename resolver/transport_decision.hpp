// resolver: which next hop a recipient domain takes, from the transport map: MX of the
// domain (the default), MX of another name, or the addresses of one named host; with the
// port, TLS policy and action that apply. Pure: configuration and domain in, decision out.
// resolve_route() then asks the DNS accordingly (the one place both the delivery engine and
// `mxrelay route` go through).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <string_view>

#include "conf/config.hpp"
#include "next_hop_resolver.hpp"
#include "route.hpp"

namespace mxrelay::resolver {

struct TransportDecision {
  enum class Lookup { recipient_mx, mx_of_name, host };
  Lookup lookup = Lookup::recipient_mx;
  std::string name;  // the name to resolve (the domain itself for recipient_mx)
  std::uint16_t port = 25;
  conf::TlsPolicy tls = conf::TlsPolicy::may;
  conf::TransportAction action = conf::TransportAction::deliver;
  std::string reason;          // for defer / hold / reject
  std::string matched;         // why the entry applies, e.g. exact "outlook.com"
  std::string entry_location;  // FILE:LINE:COLUMN of the entry; "" without one
  std::string auth;            // [auth.NAME] to use; "" for none
};

// domain: canonical recipient domain, or an address literal "[192.0.2.1]" / "[IPv6:...]",
// which always goes to that address.
TransportDecision decide_transport(const conf::Config& config, std::string_view domain);

// Resolves the decision's next hop; the explanation names the transport entry used.
boost::asio::awaitable<RouteExplanation> resolve_route(NextHopResolver& resolver,
                                                       const TransportDecision& decision,
                                                       std::string domain);

}  // namespace mxrelay::resolver
