// resolver: which next hop a recipient domain takes, from the transport map: MX of the
// domain (the default), MX of another name, or the addresses of one named host; with the
// port, TLS policy, AUTH credentials (by name) and action that apply. A UTF-8 domain is
// resolved as its A-label (IDNA2008 with UTS #46 mapping); one that has no A-label form is
// a permanent 5.1.2. Pure: configuration and domain in, decision out.
// resolve_route() then asks the DNS accordingly (the one place both the delivery engine and
// `mxrelay route` go through).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
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
  std::string auth_username;   // that table's user name (never the password)
  bool implicit_tls = false;   // TLS from the first byte (RFC 8314)
  // MTA-STS applies (delivery.mta_sts): the route is the recipient domain's own MX and no
  // transport entry sets its tls.
  bool mta_sts = false;
  std::string a_label;         // the recipient domain as DNS sees it: "xn--bcher-kva.example"
  std::string u_label;         // its Unicode form when it has IDN labels, else ""
  // The domain cannot be converted to an A-label: 553 5.1.2, whatever the map says.
  std::optional<core::Failure> invalid_domain;

  // Why mail for the domain is not routed now: the invalid domain, or the defer (4.3.2) and
  // reject (5.7.1) actions; nothing for deliver and hold (hold keeps it queued unattempted).
  std::optional<core::Failure> refusal() const;
};

// domain: canonical recipient domain (U- or A-labels), or an address literal "[192.0.2.1]" /
// "[IPv6:...]": refused unless delivery.address_literals = "deliver", then routed by the
// transport map's "*" entry, or to that address.
TransportDecision decide_transport(const conf::Config& config, std::string_view domain);

// Resolves the decision's next hop; the explanation names the transport entry used.
boost::asio::awaitable<RouteExplanation> resolve_route(NextHopResolver& resolver,
                                                       const TransportDecision& decision,
                                                       std::string domain);

}  // namespace mxrelay::resolver
