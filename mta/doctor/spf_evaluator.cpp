// mta/doctor: evaluate_spf().
#include "mta/doctor/spf_evaluator.hpp"

#include <optional>
#include <vector>

#include "core/domain_name.hpp"
#include "mta/doctor/reverse_name.hpp"
#include "mta/doctor/spf_macro.hpp"
#include "mta/doctor/spf_record.hpp"

namespace mxrelay::mta::doctor {

namespace {

using resolver::DnsAnswer;
using resolver::DnsOutcome;
using resolver::RrType;

constexpr unsigned kMaxNamesPerMechanism = 10;  // MX hosts and PTR names (4.6.4)

SpfResult qualifier_result(SpfQualifier qualifier) {
  switch (qualifier) {
    case SpfQualifier::pass:
      return SpfResult::pass;
    case SpfQualifier::fail:
      return SpfResult::fail;
    case SpfQualifier::softfail:
      return SpfResult::softfail;
    case SpfQualifier::neutral:
      return SpfResult::neutral;
  }
  return SpfResult::neutral;
}

// A mechanism's outcome: matched, did not, or ended the evaluation with an error.
struct Outcome {
  bool matched = false;
  std::optional<SpfResult> error;  // temperror or permerror
  std::string reason;
};

Outcome temperror(const DnsAnswer& answer) {
  return {false, SpfResult::temperror,
          answer.qname + " " + resolver::to_string(answer.qtype) + ": " +
              resolver::to_string(answer.outcome)};
}

Outcome permerror(std::string reason) {
  return {false, SpfResult::permerror, std::move(reason)};
}

class Evaluation {
 public:
  Evaluation(const SpfQuery& query, const SpfLookup& lookup) : query_(query), lookup_(lookup) {}

  SpfVerdict check_host(const std::string& domain, bool top) {
    SpfVerdict verdict;
    const auto answer = lookup_(domain, RrType::txt);
    if (answer.outcome == DnsOutcome::nxdomain || answer.outcome == DnsOutcome::nodata)
      return finish(verdict, SpfResult::none, "no SPF record at " + domain);
    if (answer.outcome != DnsOutcome::ok)
      return finish(verdict, SpfResult::temperror, temperror(answer).reason);
    std::vector<std::string> records;
    for (const auto& text : answer.texts)
      if (is_spf_record(text)) records.push_back(text);
    if (records.empty()) return finish(verdict, SpfResult::none, "no SPF record at " + domain);
    if (records.size() > 1)
      return finish(verdict, SpfResult::permerror, "more than one SPF record at " + domain);
    if (top) verdict.record = records.front();
    auto record = parse_spf_record(records.front());
    if (!record) return finish(verdict, SpfResult::permerror, domain + ": " + record.error());
    for (const auto& mechanism : record->mechanisms) {
      const auto outcome = evaluate(mechanism, domain);
      if (outcome.error) return finish(verdict, *outcome.error, outcome.reason);
      if (outcome.matched)
        return finish(verdict, qualifier_result(mechanism.qualifier),
                      "matched " + mechanism.text + (top ? "" : " at " + domain));
    }
    if (record->redirect.empty())
      return finish(verdict, SpfResult::neutral, "default (no mechanism matched)");
    auto target = expand(record->redirect, domain);
    if (!target) return finish(verdict, SpfResult::permerror, target.error());
    if (auto limit = count_lookup()) return finish(verdict, *limit->error, limit->reason);
    auto redirected = check_host(*target, false);
    if (redirected.result == SpfResult::none)
      return finish(verdict, SpfResult::permerror, "redirect=" + *target + ": no SPF record there");
    return finish(verdict, redirected.result, redirected.reason);
  }

 private:
  SpfVerdict& finish(SpfVerdict& verdict, SpfResult result, std::string reason) {
    verdict.result = result;
    verdict.reason = std::move(reason);
    verdict.dns_lookups = lookups_;
    return verdict;
  }

  std::expected<std::string, std::string> expand(const std::string& spec,
                                                 const std::string& domain) {
    const std::string sender =
        query_.sender.empty() ? "postmaster@" + query_.domain : query_.sender;
    auto expanded =
        expand_spf_macros(spec, SpfMacroContext{sender, domain, query_.ip, query_.helo});
    if (expanded) *expanded = core::canonical_domain(*expanded);
    return expanded;
  }

  // Counts one DNS-querying term; the outcome when the limit is exceeded.
  std::optional<Outcome> count_lookup() {
    if (++lookups_ > kSpfMaxDnsLookups)
      return permerror("more than " + std::to_string(kSpfMaxDnsLookups) + " DNS lookups");
    return std::nullopt;
  }

  // One lookup of a mechanism; nullopt when it ended the evaluation (error filled).
  std::optional<DnsAnswer> mechanism_lookup(const std::string& name, RrType type, Outcome& error) {
    auto answer = lookup_(name, type);
    if (answer.outcome == DnsOutcome::nxdomain || answer.outcome == DnsOutcome::nodata) {
      if (++void_lookups_ > kSpfMaxVoidLookups) {
        error = permerror("more than " + std::to_string(kSpfMaxVoidLookups) + " void lookups");
        return std::nullopt;
      }
    } else if (answer.outcome != DnsOutcome::ok) {
      error = temperror(answer);
      return std::nullopt;
    }
    return answer;
  }

  bool in_network(const core::IpAddress& address, const SpfMechanism& mechanism) const {
    if (address.is_v6() != query_.ip.is_v6()) return false;
    const auto prefix = query_.ip.is_v6() ? mechanism.cidr6 : mechanism.cidr4;
    const auto network = core::Cidr::parse(address.str() + "/" + std::to_string(prefix));
    return network && network->contains(query_.ip);
  }

  RrType address_type() const { return query_.ip.is_v6() ? RrType::aaaa : RrType::a; }

  // a and mx: does any address of `name` contain the client IP under the mechanism's cidr?
  Outcome addresses_match(const std::string& name, const SpfMechanism& mechanism) {
    Outcome error;
    auto answer = mechanism_lookup(name, address_type(), error);
    if (!answer) return error;
    for (const auto& address : answer->addresses)
      if (in_network(address, mechanism)) return {true, std::nullopt, ""};
    return {};
  }

  Outcome evaluate(const SpfMechanism& mechanism, const std::string& domain) {
    switch (mechanism.kind) {
      case SpfMechanismKind::all:
        return {true, std::nullopt, ""};
      case SpfMechanismKind::ip4:
      case SpfMechanismKind::ip6:
        return {mechanism.network->contains(query_.ip), std::nullopt, ""};
      default:
        break;
    }
    if (auto limit = count_lookup()) return *limit;
    auto target = expand(mechanism.domain_spec.empty() ? domain : mechanism.domain_spec, domain);
    if (!target) return permerror(target.error());
    switch (mechanism.kind) {
      case SpfMechanismKind::include:
        return include(*target);
      case SpfMechanismKind::a:
        return addresses_match(*target, mechanism);
      case SpfMechanismKind::mx:
        return mx(*target, mechanism);
      case SpfMechanismKind::ptr:
        return ptr(*target);
      default:
        return exists(*target);
    }
  }

  Outcome include(const std::string& target) {
    const auto inner = check_host(target, false);
    switch (inner.result) {
      case SpfResult::pass:
        return {true, std::nullopt, ""};
      case SpfResult::temperror:
        return {false, SpfResult::temperror, inner.reason};
      case SpfResult::permerror:
        return permerror(inner.reason);
      case SpfResult::none:
        return permerror("include:" + target + ": no SPF record there");
      default:
        return {};
    }
  }

  Outcome mx(const std::string& target, const SpfMechanism& mechanism) {
    Outcome error;
    auto answer = mechanism_lookup(target, RrType::mx, error);
    if (!answer) return error;
    if (answer->mx.size() > kMaxNamesPerMechanism)
      return permerror(target + " has more than " + std::to_string(kMaxNamesPerMechanism) +
                       " MX records");
    for (const auto& record : answer->mx) {
      if (record.exchange.empty()) continue;
      auto outcome = addresses_match(record.exchange, mechanism);
      if (outcome.matched || outcome.error) return outcome;
    }
    return {};
  }

  // ptr (5.5): a validated name of the client IP equal to or below target.
  Outcome ptr(const std::string& target) {
    const auto names = lookup_(reverse_name(query_.ip), RrType::ptr);
    if (names.outcome != DnsOutcome::ok) return {};  // 5.5: errors mean no match
    unsigned checked = 0;
    for (const auto& name : names.names) {
      if (++checked > kMaxNamesPerMechanism) break;
      const auto forward = lookup_(name, address_type());
      bool validated = false;
      for (const auto& address : forward.addresses) validated = validated || address == query_.ip;
      if (validated && (name == target || name.ends_with("." + target)))
        return {true, std::nullopt, ""};
    }
    return {};
  }

  Outcome exists(const std::string& target) {
    Outcome error;
    auto answer = mechanism_lookup(target, RrType::a, error);
    if (!answer) return error;
    return {!answer->addresses.empty(), std::nullopt, ""};
  }

  const SpfQuery& query_;
  const SpfLookup& lookup_;
  unsigned lookups_ = 0;
  unsigned void_lookups_ = 0;
};

}  // namespace

const char* to_string(SpfResult result) {
  switch (result) {
    case SpfResult::none:
      return "none";
    case SpfResult::neutral:
      return "neutral";
    case SpfResult::pass:
      return "pass";
    case SpfResult::fail:
      return "fail";
    case SpfResult::softfail:
      return "softfail";
    case SpfResult::temperror:
      return "temperror";
    case SpfResult::permerror:
      return "permerror";
  }
  return "none";
}

SpfVerdict evaluate_spf(const SpfQuery& query, const SpfLookup& lookup) {
  const auto& domain = query.domain;
  if (domain.find('.') == std::string::npos || domain.starts_with('.') ||
      domain.find("..") != std::string::npos)
    return SpfVerdict{SpfResult::none, "", "\"" + domain + "\" is not a fully qualified domain", 0};
  Evaluation evaluation(query, lookup);
  return evaluation.check_host(query.domain, true);
}

}  // namespace mxrelay::mta::doctor
