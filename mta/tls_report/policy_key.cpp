// mta/tls_report: the policy entries sessions are counted under (see policy_key.hpp).
#include "mta/tls_report/policy_key.hpp"

#include <cstdio>

namespace mxrelay::mta::tlsrpt {

PolicyKey sts_policy_key(const std::string& domain, const sts::Policy* policy) {
  PolicyKey key{domain, std::string(kPolicySts), {}, {}};
  if (!policy) return key;
  key.strings.push_back("version: STSv1");
  key.strings.push_back("mode: " + std::string(sts::to_string(policy->mode)));
  for (const auto& mx : policy->mx) key.strings.push_back("mx: " + mx);
  key.strings.push_back("max_age: " + std::to_string(policy->max_age));
  key.mx_hosts = policy->mx;
  return key;
}

PolicyKey tlsa_policy_key(const std::string& domain, std::span<const resolver::TlsaRecord> tlsa) {
  PolicyKey key{domain, std::string(kPolicyTlsa), {}, {}};
  for (const auto& record : tlsa) {
    auto text = std::to_string(record.usage) + " " + std::to_string(record.selector) + " " +
                std::to_string(record.matching_type) + " ";
    for (const auto byte : record.data) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02X", byte);
      text += hex;
    }
    key.strings.push_back(std::move(text));
  }
  return key;
}

PolicyKey no_policy_key(const std::string& domain) {
  return {domain, std::string(kNoPolicy), {}, {}};
}

}  // namespace mxrelay::mta::tlsrpt
