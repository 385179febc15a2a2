// mta/outbound: RFC 7672 DANE decisions (see dane_policy.hpp for the table).
#include "mta/outbound/dane_policy.hpp"

#include <algorithm>

#include "core/domain_name.hpp"

namespace mxrelay::mta {

namespace {

constexpr std::uint8_t kDaneTa = 2;
constexpr std::uint8_t kDaneEe = 3;

bool has_expected_length(const resolver::TlsaRecord& record) {
  switch (record.matching_type) {
    case 0:
      return !record.data.empty();
    case 1:
      return record.data.size() == 32;
    case 2:
      return record.data.size() == 64;
    default:
      return false;
  }
}

DaneRequirement refused(std::string_view host, core::EnhancedStatus status, std::string note,
                        TlsaBasis basis) {
  auto reason = "DANE: " + note + " for host " + std::string(host);
  return {TlsPolicy::may,
          {},
          core::Failure::temporary(451, status, std::move(reason)),
          std::move(note),
          basis};
}

// dane falls back to `fallback`; dane-only refuses anything but DANE authentication.
DaneRequirement without_dane(TlsPolicy policy, std::string_view host, TlsPolicy fallback,
                             std::string note, TlsaBasis basis = TlsaBasis::insecure) {
  if (policy == TlsPolicy::dane_only)
    return refused(host, {4, 7, 4}, note + " (dane-only requires DANE authentication)", basis);
  return {fallback, {}, std::nullopt, std::move(note), basis};
}

bool is_address_answer_for(const resolver::DnsAnswer& answer, const std::string& host,
                           const core::IpAddress& address) {
  if (answer.qtype != resolver::RrType::a && answer.qtype != resolver::RrType::aaaa) return false;
  if (answer.qname != host && answer.canonical_name != host) return false;
  return std::ranges::find(answer.addresses, address) != answer.addresses.end();
}

}  // namespace

DaneDnssec dnssec_of(const resolver::RouteExplanation& route,
                     const resolver::Candidate& candidate) {
  DaneDnssec dnssec;
  dnssec.mx_secure = true;
  const auto lookup_name = core::canonical_domain(route.lookup_name);
  const auto host = core::canonical_domain(candidate.host);
  for (const auto& answer : route.queries) {
    if (answer.qtype == resolver::RrType::mx && answer.qname == lookup_name)
      dnssec.mx_secure = dnssec.mx_secure && answer.secure;
    if (is_address_answer_for(answer, host, candidate.address))
      dnssec.address_secure = answer.secure;
  }
  return dnssec;
}

bool uses_dane(TlsPolicy policy) {
  return policy == TlsPolicy::dane || policy == TlsPolicy::dane_only;
}

bool needs_tlsa_lookup(TlsPolicy policy, const DaneDnssec& dnssec) {
  return uses_dane(policy) && dnssec.mx_secure && dnssec.address_secure;
}

bool is_usable(const resolver::TlsaRecord& record) {
  const bool dane_usage = record.usage == kDaneTa || record.usage == kDaneEe;
  return dane_usage && record.selector <= 1 && has_expected_length(record);
}

DaneRequirement decide_dane(TlsPolicy policy, const DaneDnssec& dnssec,
                            const resolver::TlsaAnswer* tlsa, std::string_view host) {
  if (!dnssec.mx_secure)
    return without_dane(policy, host, TlsPolicy::may, "MX RRset insecure: no DANE");
  if (!dnssec.address_secure)
    return without_dane(policy, host, TlsPolicy::may, "address RRset insecure: no DANE");
  if (tlsa == nullptr)
    return refused(host, {4, 7, 5}, "TLSA RRset not looked up", TlsaBasis::lookup_failed);
  const auto& dns = tlsa->dns;
  switch (dns.outcome) {
    case resolver::DnsOutcome::nodata:
    case resolver::DnsOutcome::nxdomain:
      if (dns.secure) return without_dane(policy, host, TlsPolicy::may, "no TLSA records");
      return without_dane(policy, host, TlsPolicy::may, "TLSA denial insecure: no DANE");
    case resolver::DnsOutcome::ok:
      break;
    case resolver::DnsOutcome::servfail:
    case resolver::DnsOutcome::timeout:
    case resolver::DnsOutcome::bogus:
    case resolver::DnsOutcome::error:
      return refused(host, {4, 7, 5},
                     std::string("TLSA lookup failed (") + resolver::to_string(dns.outcome) +
                         (dns.why_bogus.empty() ? std::string() : ": " + dns.why_bogus) + ")",
                     TlsaBasis::lookup_failed);
  }
  if (!dns.secure)
    return without_dane(policy, host, TlsPolicy::may, "TLSA RRset insecure: no DANE");
  DaneRequirement requirement{
      TlsPolicy::verify, {}, std::nullopt, "DANE TLSA records usable", TlsaBasis::usable};
  std::ranges::copy_if(tlsa->records, std::back_inserter(requirement.tlsa), is_usable);
  if (requirement.authenticates()) return requirement;
  return without_dane(policy, host, TlsPolicy::encrypt,
                      "TLSA records all unusable: TLS without authentication", TlsaBasis::unusable);
}

}  // namespace mxrelay::mta
