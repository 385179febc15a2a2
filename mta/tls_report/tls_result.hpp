// mta/tls_report: the outcome of one outbound TLS session in the terms of RFC 8460 section
// 4.3 (success, or one of its result types), classified from what the delivery saw. Pure.
//   TLS established, verified (or no verification wanted)     success
//   TLS established, unverified under a policy (STS testing)  the certificate's result type
//   TLS established, STS testing policy does not list the MX  validation-failure
//   handshake failed under DANE, certificate error            tlsa-invalid
//   handshake failed, X509 hostname mismatch                  certificate-host-mismatch
//   handshake failed, expired or not yet valid                certificate-expired
//   handshake failed, no trusted chain (self-signed, no issuer) certificate-not-trusted
//   handshake failed otherwise                                validation-failure
//   TLS wanted, EHLO done, no STARTTLS (or STARTTLS refused)  starttls-not-supported
//   not connected: DANE-only route without DNSSEC              dane-required
//   not connected: the TLSA lookup failed (bogus, SERVFAIL)    dnssec-invalid
//   not connected: DANE-only, secure TLSA without usable one   tlsa-invalid
//   not connected: MX not listed in an enforce STS policy      validation-failure
//   no TLS session at all (connect failed, TLS off by choice)  not counted
// A domain's MTA-STS policy that could not be had: sts-policy-fetch-error (DNS, connect,
// HTTP), sts-webpki-invalid (the policy host's certificate), sts-policy-invalid (TXT record
// or policy malformed).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace mxrelay::mta::tlsrpt {

enum class Result {
  success,
  starttls_not_supported,
  certificate_host_mismatch,
  certificate_expired,
  certificate_not_trusted,
  validation_failure,
  tlsa_invalid,
  dnssec_invalid,
  dane_required,
  sts_policy_fetch_error,
  sts_policy_invalid,
  sts_webpki_invalid,
};

inline constexpr std::array kAllResults{Result::success,
                                        Result::starttls_not_supported,
                                        Result::certificate_host_mismatch,
                                        Result::certificate_expired,
                                        Result::certificate_not_trusted,
                                        Result::validation_failure,
                                        Result::tlsa_invalid,
                                        Result::dnssec_invalid,
                                        Result::dane_required,
                                        Result::sts_policy_fetch_error,
                                        Result::sts_policy_invalid,
                                        Result::sts_webpki_invalid};

// RFC 8460's name: "certificate-expired"; "success" for success.
std::string_view to_string(Result result);
// The metrics label: "certificate_expired".
std::string_view metric_label(Result result);
std::optional<Result> result_from_string(std::string_view text);

// What one session that reached the server showed.
struct SessionFacts {
  bool tls_wanted = false;           // the session policy asked for STARTTLS (not `none`)
  bool verification_wanted = false;  // an MTA-STS policy (any mode) or DANE applied
  bool dane = false;                 // the handshake was authenticated by TLSA records
  bool hello_done = false;           // EHLO (or HELO) was answered positively
  bool tls_established = false;
  bool tls_verified = false;
  bool handshake_failed = false;
  long verify_error = 0;     // OpenSSL's X509_V_ERR_* of the handshake (0: X509_V_OK)
  bool mx_unlisted = false;  // an MTA-STS testing policy does not list the MX host
};

// nullopt: not a TLS session RFC 8460 counts.
std::optional<Result> classify_session(const SessionFacts& facts);

// Why a candidate was not connected to at all.
enum class Refusal { none, dane_insecure, tlsa_lookup_failed, tlsa_unusable, sts_mx_not_listed };
std::optional<Result> classify_refusal(Refusal refusal);

// An MTA-STS lookup's problem (sts::to_string(Problem) names: "fetch_failed", ...).
std::optional<Result> classify_sts_problem(std::string_view problem);

}  // namespace mxrelay::mta::tlsrpt
