// mta/control: the MTA-STS part of `mxrelay route` (see sts_report.hpp).
#include "mta/control/sts_report.hpp"

#include "mta/control/json_fields.hpp"
#include "mta/mta_sts/sts_tls_rule.hpp"

namespace mxrelay::mta {

namespace json = boost::json;

namespace {

// The TLS rule for one host, in words.
std::string rule_text(const sts::DomainPolicy& policy, const std::string& host,
                      conf::TlsPolicy session_policy) {
  const auto rule = sts::apply_policy(&policy, session_policy, false, host);
  if (rule.failure) return "not connected: " + rule.failure->str();
  if (rule.enforced)
    return "TLS required, the certificate verified for " + host + " (" +
           std::string(to_string(rule.session_policy)) + ")";
  auto out = "as without a policy (" + std::string(to_string(rule.session_policy)) + ")";
  if (!rule.testing_failure.empty()) out += "; testing reports: " + rule.testing_failure;
  return out;
}

const char* origin_text(sts::Origin origin) {
  switch (origin) {
    case sts::Origin::cache:
      return "from the relay's cache";
    case sts::Origin::fetch:
      return "fetched now (the relay fetches and caches it at its next delivery)";
    case sts::Origin::none:
      break;
  }
  return "";
}

}  // namespace

std::string sts_not_applied(bool enabled, const resolver::TransportDecision& decision) {
  if (!enabled) return "delivery.mta_sts = false";
  if (!decision.mta_sts)
    return "the route is not the domain's own MX, or its transport entry sets tls";
  return {};
}

void print_route_sts(std::ostream& out, const RouteSts& sts, const std::vector<std::string>& hosts,
                     conf::TlsPolicy session_policy) {
  if (!sts.lookup) {
    out << "MTA-STS: not applied (" << sts.not_applied << ")\n";
    return;
  }
  const auto& lookup = *sts.lookup;
  if (!lookup.policy) {
    out << "MTA-STS: no policy"
        << (lookup.detail.empty() ? std::string() : " (" + printable(lookup.detail) + ")") << "\n";
    return;
  }
  const auto& policy = *lookup.policy;
  out << "MTA-STS: " << printable(policy.describe()) << ", " << origin_text(lookup.origin)
      << ", valid until " << utc_time_text(lookup.expires_at) << " UTC\n";
  out << "  max_age " << policy.policy.max_age << " s; mx patterns:";
  for (const auto& pattern : policy.policy.mx) out << " " << printable(pattern);
  if (policy.policy.mx.empty()) out << " none";
  out << "\n";
  if (!lookup.detail.empty())
    out << "  a new policy could not be had (" << printable(lookup.detail)
        << "): the cached one stays in force\n";
  for (const auto& host : hosts)
    out << "  " << host << ": " << rule_text(policy, host, session_policy) << "\n";
}

json::object route_sts_json(const RouteSts& sts, const std::vector<std::string>& hosts,
                            conf::TlsPolicy session_policy) {
  if (!sts.lookup) return json::object{{"applies", false}, {"reason", sts.not_applied}};
  const auto& lookup = *sts.lookup;
  json::object out{{"applies", true},
                   {"origin", std::string(sts::to_string(lookup.origin))},
                   {"problem", sts::to_string(lookup.problem)},
                   {"detail", lookup.detail},
                   {"policy", nullptr}};
  if (!lookup.policy) return out;
  const auto& policy = *lookup.policy;
  json::array rules;
  for (const auto& host : hosts)
    rules.push_back(
        json::object{{"host", host}, {"rule", rule_text(policy, host, session_policy)}});
  out["policy"] =
      json::object{{"id", policy.id},
                   {"mode", std::string(sts::to_string(policy.policy.mode))},
                   {"mx", json::array(policy.policy.mx.begin(), policy.policy.mx.end())},
                   {"max_age", policy.policy.max_age},
                   {"expires_at", lookup.expires_at}};
  out["hosts"] = std::move(rules);
  return out;
}

}  // namespace mxrelay::mta
