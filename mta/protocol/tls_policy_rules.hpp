// mta/protocol: the outbound TLS policy (none / may / encrypt / verify / dane / dane-only) and the
// pure decisions it drives: whether to send STARTTLS after EHLO, whether a failed handshake may be
// retried in plaintext (RFC 7435), and which enhanced status a TLS failure carries.
//
// Status codes (RFC 3463, registry of RFC 5248), all temporary: the next hop may be fixed or
// the admin may change the policy, so mail waits in the queue instead of bouncing.
//   TLS required, STARTTLS not offered or refused   451 4.7.4 security features not supported
//   handshake or certificate verification failed      451 4.7.5 cryptographic failure
//   bytes injected after the STARTTLS 220             451 4.7.0 security error
//   dane / dane-only without dane_requirement()        451 4.7.5 (never a silent downgrade)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/tls_policy.hpp"
#include "core/smtp_status.hpp"

namespace mxrelay::mta {

using conf::TlsPolicy;

std::string_view to_string(TlsPolicy policy);

// What the session does once it knows whether the server offers STARTTLS.
enum class TlsAction { start_tls, plaintext, refuse };
struct TlsDecision {
  TlsAction action = TlsAction::plaintext;
  std::optional<core::Failure> failure;  // refuse only
};

// Called after each successful EHLO while the connection is not yet encrypted.
TlsDecision decide_tls(TlsPolicy policy, bool starttls_offered, std::string_view host);
// The server answered STARTTLS with something else than 220.
TlsDecision decide_after_refused_starttls(TlsPolicy policy, std::string_view host,
                                          std::string_view reply);
// RFC 7435: only opportunistic TLS may reconnect to the same address without TLS.
bool plaintext_retry_allowed(TlsPolicy policy);
bool certificate_must_verify(TlsPolicy policy);

core::Failure tls_handshake_failure(std::string_view host, std::string_view reason);
core::Failure tls_injection_failure(std::string_view host);

}  // namespace mxrelay::mta
