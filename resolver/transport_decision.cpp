// resolver: transport-map decisions and the DNS lookups they call for.
#include "transport_decision.hpp"

namespace mxrelay::resolver {

namespace {
// "[192.0.2.1]" -> "192.0.2.1"; "[IPv6:2001:db8::1]" -> "2001:db8::1"; else "".
std::string address_literal_host(std::string_view domain) {
  if (domain.size() < 3 || domain.front() != '[' || domain.back() != ']') return {};
  auto inner = domain.substr(1, domain.size() - 2);
  if (inner.size() > 5 && (inner.starts_with("IPv6:") || inner.starts_with("ipv6:")))
    inner.remove_prefix(5);
  return std::string(inner);
}
}  // namespace

TransportDecision decide_transport(const conf::Config& config, std::string_view domain) {
  TransportDecision decision;
  decision.name = std::string(domain);
  decision.port = config.delivery.port;
  decision.tls = config.delivery.tls;
  if (auto literal = address_literal_host(domain); !literal.empty()) {
    decision.lookup = TransportDecision::Lookup::host;
    decision.name = literal;
    decision.matched = "address literal: delivered to that address";
    return decision;
  }
  auto match = config.transport.explain(domain);
  decision.matched = match.why();
  if (!match.entry) return decision;
  const auto& entry = *match.entry;
  decision.entry_location = entry.where();
  decision.port = entry.port.value_or(config.delivery.port);
  decision.tls = entry.tls;
  decision.action = entry.action;
  decision.reason = entry.reason;
  decision.auth = entry.auth;
  switch (entry.kind) {
    case conf::NextHopKind::recipient_mx:
      break;
    case conf::NextHopKind::mx:
      decision.lookup = TransportDecision::Lookup::mx_of_name;
      decision.name = entry.name;
      break;
    case conf::NextHopKind::host:
      decision.lookup = TransportDecision::Lookup::host;
      decision.name = entry.name;
      break;
  }
  return decision;
}

boost::asio::awaitable<RouteExplanation> resolve_route(NextHopResolver& resolver,
                                                       const TransportDecision& decision,
                                                       std::string domain) {
  // (Not a conditional expression: g++ 12 mishandles co_await inside ?:.)
  RouteExplanation explanation;
  if (decision.lookup == TransportDecision::Lookup::host)
    explanation = co_await resolver.resolve_host(decision.name, decision.port);
  else
    explanation = co_await resolver.resolve_mx(decision.name, decision.port);
  explanation.domain = std::move(domain);
  explanation.transport = decision.matched;
  explanation.transport_entry = decision.entry_location;
  co_return explanation;
}

}  // namespace mxrelay::resolver
