// resolver: the RFC 5321 5.1 next-hop decisions, as pure functions over DNS answers.
#include "next_hop_policy.hpp"

#include <algorithm>
#include <set>

#include "core/domain_name.hpp"

namespace mxrelay::resolver {

namespace {

using core::EnhancedStatus;
using core::Failure;

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::ranges::find(names, name) != names.end();
}

bool is_localhost_name(std::string_view name) {
  return name == "localhost" || name.ends_with(".localhost");
}

std::string describe(const DnsAnswer& answer) {
  std::string text =
      answer.qname + "/" + to_string(answer.qtype) + ": " + to_string(answer.outcome);
  if (!answer.error_text.empty()) text += " (" + answer.error_text + ")";
  if (answer.bogus && !answer.why_bogus.empty()) text += " (" + answer.why_bogus + ")";
  return text;
}

// Why an MX host cannot be used as a name to resolve, or "" when it can.
std::string mx_host_problem(const std::string& host, const PolicyContext& context) {
  if (host.empty()) return "the null MX target \".\" among other MX records";
  if (parse_address_literal(host)) return "an address literal, not a host name";
  if (is_localhost_name(host)) return "localhost: loops back to this relay";
  if (contains(context.own_names, host)) return "this relay's own name: loops back";
  if (!core::is_valid_hostname(host)) return "not a valid host name";
  return {};
}

// Why a resolved address would deliver to ourselves, or "" when it is fine.
std::string address_loop_problem(const core::IpAddress& address, const PolicyContext& context) {
  static const auto kThisNetwork = *core::Cidr::parse("0.0.0.0/8");
  static const auto kUnspecified6 = *core::IpAddress::parse("::");
  if (kThisNetwork.contains(address) || address == kUnspecified6)
    return "\"this network\" address: loops back";
  for (const auto& endpoint : context.own_endpoints)
    if (endpoint.address == address && endpoint.port == context.port)
      return "this relay's own listen address: loops back";
  return {};
}

// Shuffles, then orders by preference: equal preferences end up in random order.
std::vector<MxRecord> sorted_by_preference(std::vector<MxRecord> records, RandomSource& random) {
  std::ranges::shuffle(records, random);
  std::ranges::stable_sort(records, {}, &MxRecord::preference);
  return records;
}

// A host's addresses in the order to try them under the configured IP version.
std::vector<core::IpAddress> order_addresses(std::vector<core::IpAddress> v4,
                                             std::vector<core::IpAddress> v6,
                                             conf::IpVersion version, RandomSource& random) {
  std::ranges::shuffle(v4, random);
  std::ranges::shuffle(v6, random);
  std::vector<core::IpAddress> first = std::move(v4);
  std::vector<core::IpAddress> second = std::move(v6);
  if (version == conf::IpVersion::prefer_ipv6) std::swap(first, second);
  first.insert(first.end(), second.begin(), second.end());
  if (version == conf::IpVersion::any) std::ranges::shuffle(first, random);
  return first;
}

// What the address answers of one host yielded.
struct HostAddresses {
  std::vector<core::IpAddress> v4;
  std::vector<core::IpAddress> v6;
  bool temporary_failure = false;
};

HostAddresses collect_addresses(const std::string& host, std::span<const DnsAnswer> answers,
                                const std::vector<RrType>& types, std::vector<std::string>& notes) {
  HostAddresses out;
  for (const auto& answer : answers) {
    if (core::canonical_domain(answer.qname) != host) continue;
    if (std::ranges::find(types, answer.qtype) == types.end()) continue;
    if (!answer.canonical_name.empty() && answer.canonical_name != host)
      notes.push_back(host + " is an alias for " + answer.canonical_name);
    if (answer.outcome != DnsOutcome::ok) {
      out.temporary_failure = out.temporary_failure || is_temporary(answer.outcome);
      notes.push_back("address lookup " + describe(answer));
      continue;
    }
    for (const auto& address : answer.addresses) {
      bool wanted_family = address.is_v6() == (answer.qtype == RrType::aaaa);
      if (wanted_family) (address.is_v6() ? out.v6 : out.v4).push_back(address);
    }
  }
  return out;
}

Failure no_address_failure(const MxPlan& plan, bool temporary_failure, bool loop_seen) {
  const auto& domain = plan.domain;
  if (loop_seen && !temporary_failure)
    return Failure::permanent(554, EnhancedStatus{5, 4, 6},
                              "mail for " + domain + " loops back to this relay");
  switch (plan.source) {
    case HostSource::implicit_mx:
      if (temporary_failure)
        return Failure::temporary(451, EnhancedStatus{4, 4, 3},
                                  "address lookup for " + domain + " failed (no MX records)");
      return Failure::permanent(550, EnhancedStatus{5, 4, 4},
                                domain + " has neither MX nor address records");
    case HostSource::named_host:
      return Failure::temporary(451, EnhancedStatus{4, 4, 4},
                                "next-hop host " + domain + " has no usable address");
    case HostSource::mx:
      break;
  }
  return Failure::temporary(451, EnhancedStatus{4, 4, 4},
                            "no MX host of " + domain + " has a usable address");
}

}  // namespace

PolicyContext PolicyContext::from_config(const conf::Config& config) {
  PolicyContext context;
  for (const auto& domain : config.dns.mx_required)
    context.mx_required.push_back(core::canonical_domain(domain));
  context.ip_version = config.delivery.ip_version;
  context.max_addresses = config.delivery.max_addresses;
  context.port = config.delivery.port;
  for (const auto& name : {config.server.hostname, config.delivery.helo_name})
    if (!name.empty()) context.own_names.push_back(core::canonical_domain(name));
  context.own_endpoints = config.server.listen;
  return context;
}

std::vector<RrType> address_types(conf::IpVersion version) {
  switch (version) {
    case conf::IpVersion::ipv4:
      return {RrType::a};
    case conf::IpVersion::ipv6:
      return {RrType::aaaa};
    case conf::IpVersion::prefer_ipv6:
      return {RrType::aaaa, RrType::a};
    case conf::IpVersion::any:
    case conf::IpVersion::prefer_ipv4:
      break;
  }
  return {RrType::a, RrType::aaaa};
}

std::optional<core::IpAddress> parse_address_literal(std::string_view host) {
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
    if (host.starts_with("IPv6:") || host.starts_with("ipv6:")) host.remove_prefix(5);
  }
  return core::IpAddress::parse(host);
}

std::expected<MxPlan, Failure> plan_mx_hosts(std::string_view domain_name,
                                             const DnsAnswer& mx_answer,
                                             const PolicyContext& context, RandomSource& random) {
  MxPlan plan;
  plan.domain = core::canonical_domain(domain_name);
  const auto& domain = plan.domain;
  if (is_temporary(mx_answer.outcome))
    return std::unexpected(Failure::temporary(451, EnhancedStatus{4, 4, 3},
                                              "MX lookup failed: " + describe(mx_answer)));
  if (mx_answer.outcome == DnsOutcome::nxdomain)
    return std::unexpected(Failure::permanent(550, EnhancedStatus{5, 1, 2},
                                              "domain " + domain + " does not exist (NXDOMAIN)"));
  if (!mx_answer.canonical_name.empty() && mx_answer.canonical_name != domain)
    plan.notes.push_back(domain + " is an alias for " + mx_answer.canonical_name);

  if (mx_answer.outcome == DnsOutcome::nodata || mx_answer.mx.empty()) {
    if (contains(context.mx_required, domain))
      return std::unexpected(Failure::temporary(
          451, EnhancedStatus{4, 4, 3},
          domain + " answered without MX records, but dns.mx_required lists it: DNS fault"));
    plan.source = HostSource::implicit_mx;
    plan.hosts.push_back({domain, 0});
    plan.notes.push_back("no MX records: implicit MX, using the address records of " + domain);
    return plan;
  }

  if (mx_answer.mx.size() == 1 && mx_answer.mx.front().exchange.empty())
    return std::unexpected(Failure::permanent(
        556, EnhancedStatus{5, 1, 10}, domain + " does not accept mail (null MX, RFC 7505)"));

  for (const auto& record : sorted_by_preference(mx_answer.mx, random)) {
    auto host = core::canonical_domain(record.exchange);
    if (auto problem = mx_host_problem(host, context); !problem.empty()) {
      plan.notes.push_back("skipped MX host " + (host.empty() ? "." : host) + ": " + problem);
      continue;
    }
    if (std::ranges::find(plan.hosts, host, &MxHost::name) != plan.hosts.end()) continue;
    plan.hosts.push_back({host, record.preference});
  }
  if (plan.hosts.empty())
    return std::unexpected(
        Failure::permanent(554, EnhancedStatus{5, 4, 6},
                           "mail for " + domain + " loops back to this relay: no usable MX host"));
  return plan;
}

MxPlan plan_single_host(std::string_view host) {
  MxPlan plan;
  plan.domain = core::canonical_domain(host);
  plan.source = HostSource::named_host;
  plan.hosts.push_back({plan.domain, 0});
  return plan;
}

RouteResult choose_candidates(const MxPlan& plan, std::span<const DnsAnswer> address_answers,
                              const PolicyContext& context, RandomSource& random,
                              std::vector<std::string>& notes) {
  const auto types = address_types(context.ip_version);
  const std::size_t budget = context.max_addresses == 0 ? SIZE_MAX : context.max_addresses;
  std::vector<Candidate> candidates;
  std::set<core::IpAddress> taken;
  bool temporary_failure = false;
  bool loop_seen = false;
  for (const auto& host : plan.hosts) {
    auto found = collect_addresses(host.name, address_answers, types, notes);
    temporary_failure = temporary_failure || found.temporary_failure;
    auto ordered =
        order_addresses(std::move(found.v4), std::move(found.v6), context.ip_version, random);
    std::size_t usable = 0;
    for (const auto& address : ordered) {
      if (const std::string_view kind = address.not_a_destination(); !kind.empty()) {
        notes.push_back("skipped " + host.name + " address " + address.str() + ": " +
                        std::string(kind) + ", never a delivery address");
        continue;
      }
      if (auto problem = address_loop_problem(address, context); !problem.empty()) {
        notes.push_back("skipped " + host.name + " address " + address.str() + ": " + problem);
        loop_seen = true;
        continue;
      }
      ++usable;
      if (candidates.size() >= budget || !taken.insert(address).second) continue;
      candidates.push_back({host.name, host.preference, address, context.port});
    }
    if (usable == 0) notes.push_back("host " + host.name + " has no usable address");
  }
  if (candidates.empty())
    return std::unexpected(no_address_failure(plan, temporary_failure, loop_seen));
  return candidates;
}

RouteResult literal_candidate(std::string_view host, const core::IpAddress& address,
                              const PolicyContext& context, std::vector<std::string>& notes) {
  if (const std::string_view kind = address.not_a_destination(); !kind.empty())
    return std::unexpected(Failure::permanent(
        553, EnhancedStatus{5, 1, 2},
        std::string(host) + " is a " + std::string(kind) + " address, never a delivery address"));
  if (auto problem = address_loop_problem(address, context); !problem.empty()) {
    notes.push_back("next hop " + std::string(host) + ": " + problem);
    return std::unexpected(
        Failure::permanent(554, EnhancedStatus{5, 4, 6},
                           "mail for " + std::string(host) + " loops back to this relay"));
  }
  return std::vector<Candidate>{{std::string(host), 0, address, context.port}};
}

}  // namespace mxrelay::resolver
