// mta/tls_report: the RFC 8460 section 4.4 "policy" a session is counted under: an MTA-STS
// policy (policy-type sts, policy-string its lines, mx-host its mx patterns), DANE
// (policy-type tlsa, policy-string the usable TLSA records in presentation form, "3 1 1
// 0A1B..."), or neither (no-policy-found). Pure.
#pragma once

#include <span>
#include <string>

#include "mta/mta_sts/sts_policy.hpp"
#include "mta/tls_report/report_store.hpp"
#include "resolver/tlsa_record.hpp"

namespace mxrelay::mta::tlsrpt {

PolicyKey sts_policy_key(const std::string& domain, const sts::Policy* policy);
PolicyKey tlsa_policy_key(const std::string& domain, std::span<const resolver::TlsaRecord> tlsa);
PolicyKey no_policy_key(const std::string& domain);

}  // namespace mxrelay::mta::tlsrpt
