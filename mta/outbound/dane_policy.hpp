// mta/outbound: the DANE decision for one delivery candidate (RFC 7672 section 2.2), as a pure
// function of what the DNS said: whether the MX RRset and the host's address RRset were
// DNSSEC-secure, and what the TLSA lookup for _PORT._tcp.HOST returned. The result is the
// requirement the SMTP session and the TLS handshake enforce for that candidate:
//   MX or address RRset insecure            dane: opportunistic TLS (may)  dane-only: defer 4.7.4
//   TLSA lookup fails (SERVFAIL, timeout,   defer 4.7.5: the host is unusable (RFC 7672 2.2.3),
//     bogus, local error)                     never a downgrade; the next candidate is tried
//   TLSA answer insecure, NODATA, NXDOMAIN  dane: may                      dane-only: defer 4.7.4
//   secure TLSA, no usable record           dane: TLS required, unauthenticated (encrypt; RFC
//                                             7672 2.2: "unusable" records)  dane-only: defer 4.7.4
//   secure TLSA, usable records             TLS required and authenticated by those records
// Usable (RFC 7672 3.1): DANE-TA(2) or DANE-EE(3), selector 0 or 1, matching type 0, 1 or 2
// with the digest length that type needs. PKIX-TA(0) and PKIX-EE(1) are unusable (3.1.3).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_status.hpp"
#include "mta/protocol/tls_policy_rules.hpp"
#include "resolver/route.hpp"
#include "resolver/tlsa_record.hpp"

namespace mxrelay::mta {

// DNSSEC status of the RRsets that led to one candidate.
struct DaneDnssec {
  bool mx_secure = false;       // the MX RRset; true when no MX lookup was made (transport host)
  bool address_secure = false;  // the host's A or AAAA RRset holding the candidate's address
};

// What the candidate's TLSA records came to, the way TLS reporting (RFC 8460) tells them apart.
enum class TlsaBasis {
  insecure,       // no DANE: an RRset insecure, or no TLSA records
  lookup_failed,  // the TLSA lookup failed (or was not made)
  unusable,       // secure TLSA records, none usable
  usable,         // DANE authenticates
};

struct DaneRequirement {
  // What SmtpClientSession and ClientConnection::handshake enforce: may, encrypt, or verify
  // (TLS required; authenticated by `tlsa` instead of the CA store).
  TlsPolicy session_policy = TlsPolicy::may;
  std::vector<resolver::TlsaRecord> tlsa;  // the usable records; non-empty only with verify
  std::optional<core::Failure> failure;    // set: do not connect to this candidate (temporary)
  std::string note;                        // why, for logs: "TLSA RRset insecure: no DANE"
  TlsaBasis basis = TlsaBasis::insecure;

  bool authenticates() const { return !tlsa.empty(); }
};

// From the resolver's explanation of the route the candidate came from.
DaneDnssec dnssec_of(const resolver::RouteExplanation& route, const resolver::Candidate& candidate);
// True for the policies that use DANE: dane and dane-only.
bool uses_dane(TlsPolicy policy);

// True when the TLSA RRset must be looked up (both RRsets secure) under dane or dane-only.
bool needs_tlsa_lookup(TlsPolicy policy, const DaneDnssec& dnssec);
bool is_usable(const resolver::TlsaRecord& record);
// policy is dane or dane_only; tlsa is null when no lookup was made (needs_tlsa_lookup false).
// host names the candidate in failure reasons.
DaneRequirement decide_dane(TlsPolicy policy, const DaneDnssec& dnssec,
                            const resolver::TlsaAnswer* tlsa, std::string_view host);

}  // namespace mxrelay::mta
