// mta/mta_sts: the MTA-STS rule for one delivery candidate (see sts_tls_rule.hpp).
#include "mta/mta_sts/sts_tls_rule.hpp"

namespace mxrelay::mta::sts {

CandidateRule apply_policy(const DomainPolicy* policy, TlsPolicy session_policy,
                           bool dane_authenticated, std::string_view host) {
  CandidateRule rule;
  rule.session_policy = session_policy;
  if (!policy || policy->policy.mode == Mode::none || dane_authenticated) return rule;
  const bool listed = policy_lists_mx(policy->policy, host);
  if (policy->policy.mode == Mode::testing) {
    if (!listed) rule.testing_failure = "MX host " + std::string(host) + " is not listed";
    return rule;
  }
  if (!listed) {
    rule.failure = core::Failure::temporary(
        451, {4, 7, 5}, policy->describe() + " does not list MX host " + std::string(host));
    return rule;
  }
  rule.session_policy = TlsPolicy::verify;
  rule.enforced = true;
  return rule;
}

core::Failure enforced_failure(const DomainPolicy& policy, core::Failure failure) {
  failure.reason += " (verified TLS required by the " + policy.describe() + ")";
  return failure;
}

}  // namespace mxrelay::mta::sts
