// resolver: transport-map decisions and the DNS lookups they call for.
#include "transport_decision.hpp"

#include "conf/idna.hpp"

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

std::optional<core::Failure> TransportDecision::refusal() const {
  if (invalid_domain) return invalid_domain;
  switch (action) {
    case conf::TransportAction::defer:
      return core::Failure::temporary(451, {4, 3, 2}, reason);
    case conf::TransportAction::reject:
      return core::Failure::permanent(550, {5, 7, 1}, reason);
    case conf::TransportAction::deliver:
    case conf::TransportAction::hold:
      break;
  }
  return std::nullopt;
}

TransportDecision decide_transport(const conf::Config& config, std::string_view domain) {
  TransportDecision decision;
  decision.name = std::string(domain);
  decision.a_label = decision.name;
  decision.port = config.delivery.port;
  decision.tls = config.delivery.tls;
  const auto literal = address_literal_host(domain);
  if (!literal.empty()) {
    if (config.delivery.address_literals == conf::AddressLiterals::refuse) {
      decision.action = conf::TransportAction::reject;
      decision.reason = "mail to address literals is not accepted here";
      decision.matched = "address literal: refused (delivery.address_literals = \"refuse\")";
      return decision;
    }
    // The transport map applies (its "*" entry); without an entry, that address.
    decision.lookup = TransportDecision::Lookup::host;
    decision.name = literal;
  } else if (auto a_label = conf::to_a_label_domain(domain)) {
    decision.a_label = std::move(*a_label);
    decision.name = decision.a_label;
    decision.u_label = conf::to_u_label_domain(decision.a_label);
  } else {
    decision.invalid_domain = core::Failure::permanent(
        553, {5, 1, 2},
        "recipient domain is not a valid internationalised domain name (" + a_label.error() + ")");
  }
  auto match = config.transport.explain(domain);
  decision.matched = match.why();
  decision.mta_sts = config.delivery.mta_sts && literal.empty() && !decision.invalid_domain &&
                     (!match.entry || (match.entry->tls_inherited &&
                                       match.entry->kind == conf::NextHopKind::recipient_mx));
  if (!match.entry) {
    if (!literal.empty()) decision.matched = "address literal: delivered to that address";
    return decision;
  }
  const auto& entry = *match.entry;
  decision.entry_location = entry.where();
  decision.port = entry.port.value_or(config.delivery.port);
  decision.tls = entry.tls;
  decision.action = entry.action;
  decision.reason = entry.reason;
  decision.auth = entry.auth;
  if (auto credentials = config.auth.find(entry.auth); credentials != config.auth.end())
    decision.auth_username = credentials->second.username;
  decision.implicit_tls = entry.implicit_tls;
  switch (entry.kind) {
    case conf::NextHopKind::recipient_mx:  // a literal stays that address
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
  if (decision.invalid_domain)
    explanation.result = std::unexpected(*decision.invalid_domain);
  else if (decision.lookup == TransportDecision::Lookup::host)
    explanation = co_await resolver.resolve_host(decision.name, decision.port);
  else
    explanation = co_await resolver.resolve_mx(decision.name, decision.port);
  if (decision.a_label != domain) explanation.a_label = decision.a_label;
  if (decision.u_label != domain) explanation.u_label = decision.u_label;
  explanation.domain = std::move(domain);
  explanation.transport = decision.matched;
  explanation.transport_entry = decision.entry_location;
  explanation.tls = conf::tls_policy_name(decision.tls);
  explanation.implicit_tls = decision.implicit_tls;
  if (!decision.auth.empty()) explanation.auth = RouteAuth{decision.auth, decision.auth_username};
  co_return explanation;
}

}  // namespace mxrelay::resolver
