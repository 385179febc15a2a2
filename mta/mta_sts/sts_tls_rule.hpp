// mta/mta_sts: what an MTA-STS policy makes of one delivery candidate (RFC 8461 section 4),
// after the transport map and DANE had their say. Pure.
//   no policy, mode none, or the MX is DANE-authenticated   the session policy as it was
//   enforce, MX listed in the policy's mx patterns            verify: TLS required, the
//                                                               certificate valid for the MX name
//   enforce, MX not listed                                    not connected: 451 4.7.5 naming
//                                                               the policy (the next MX is tried)
//   testing                                                   as it was; a listed-MX miss or a
//                                                               TLS session that enforce would
//                                                               refuse is reported, not enforced
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/smtp_status.hpp"
#include "mta/mta_sts/sts_policy.hpp"
#include "mta/protocol/tls_policy_rules.hpp"

namespace mxrelay::mta::sts {

struct CandidateRule {
  TlsPolicy session_policy = TlsPolicy::may;
  bool enforced = false;                 // the session runs under an enforce policy
  std::optional<core::Failure> failure;  // enforce: do not connect to this candidate
  std::string testing_failure;           // testing: what enforce would have refused; "" none
};

// policy: nullptr without one. session_policy: the transport map's or DANE's result.
CandidateRule apply_policy(const DomainPolicy* policy, TlsPolicy session_policy,
                           bool dane_authenticated, std::string_view host);

// Under an enforce policy, a failed TLS session's failure says which policy required it.
core::Failure enforced_failure(const DomainPolicy& policy, core::Failure failure);

}  // namespace mxrelay::mta::sts
