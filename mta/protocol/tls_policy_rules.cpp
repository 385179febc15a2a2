// mta/protocol: outbound TLS policy decisions (see tls_policy_rules.hpp for the status codes
// chosen).
#include "mta/protocol/tls_policy_rules.hpp"

namespace mxrelay::mta {

namespace {

core::Failure security_features_missing(std::string_view host, std::string_view what) {
  return core::Failure::temporary(
      451, {4, 7, 4},
      "TLS is required, but " + std::string(what) + " by host " + std::string(host));
}

}  // namespace

std::string_view to_string(TlsPolicy policy) {
  return conf::tls_policy_name(policy);
}

TlsDecision decide_tls(TlsPolicy policy, bool starttls_offered, std::string_view host) {
  switch (policy) {
    case TlsPolicy::none:
      return {TlsAction::plaintext, std::nullopt};
    case TlsPolicy::may:
      return {starttls_offered ? TlsAction::start_tls : TlsAction::plaintext, std::nullopt};
    case TlsPolicy::encrypt:
    case TlsPolicy::verify:
      if (starttls_offered) return {TlsAction::start_tls, std::nullopt};
      return {TlsAction::refuse, security_features_missing(host, "STARTTLS was not offered")};
    case TlsPolicy::dane:
    case TlsPolicy::dane_only:
      break;
  }
  return {TlsAction::refuse, core::Failure::temporary(
                                 451, {4, 7, 5},
                                 "TLS policy " + std::string(to_string(policy)) +
                                     " was not resolved by a TLSA lookup; not delivering to host " +
                                     std::string(host) + " without it")};
}

TlsDecision decide_after_refused_starttls(TlsPolicy policy, std::string_view host,
                                          std::string_view reply) {
  if (policy == TlsPolicy::may || policy == TlsPolicy::none)
    return {TlsAction::plaintext, std::nullopt};
  return {TlsAction::refuse,
          security_features_missing(host, "STARTTLS was refused (" + std::string(reply) + ")")};
}

bool plaintext_retry_allowed(TlsPolicy policy) {
  return policy == TlsPolicy::may;
}

bool certificate_must_verify(TlsPolicy policy) {
  return policy == TlsPolicy::verify;
}

core::Failure tls_handshake_failure(std::string_view host, std::string_view reason) {
  return core::Failure::temporary(
      451, {4, 7, 5},
      "TLS handshake with host " + std::string(host) + " failed: " + std::string(reason));
}

core::Failure tls_injection_failure(std::string_view host) {
  return core::Failure::temporary(451, {4, 7, 0},
                                  "host " + std::string(host) +
                                      " sent data after its STARTTLS reply and before the TLS "
                                      "handshake (possible command injection)");
}

}  // namespace mxrelay::mta
