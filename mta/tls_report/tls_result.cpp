// mta/tls_report: RFC 8460 result types and their classification (see tls_result.hpp).
#include "mta/tls_report/tls_result.hpp"

#include <openssl/x509_vfy.h>

namespace mxrelay::mta::tlsrpt {

namespace {

struct Names {
  Result result;
  std::string_view rfc;
  std::string_view label;
};

constexpr std::array<Names, kAllResults.size()> kNames{{
    {Result::success, "success", "success"},
    {Result::starttls_not_supported, "starttls-not-supported", "starttls_not_supported"},
    {Result::certificate_host_mismatch, "certificate-host-mismatch", "certificate_host_mismatch"},
    {Result::certificate_expired, "certificate-expired", "certificate_expired"},
    {Result::certificate_not_trusted, "certificate-not-trusted", "certificate_not_trusted"},
    {Result::validation_failure, "validation-failure", "validation_failure"},
    {Result::tlsa_invalid, "tlsa-invalid", "tlsa_invalid"},
    {Result::dnssec_invalid, "dnssec-invalid", "dnssec_invalid"},
    {Result::dane_required, "dane-required", "dane_required"},
    {Result::sts_policy_fetch_error, "sts-policy-fetch-error", "sts_policy_fetch_error"},
    {Result::sts_policy_invalid, "sts-policy-invalid", "sts_policy_invalid"},
    {Result::sts_webpki_invalid, "sts-webpki-invalid", "sts_webpki_invalid"},
}};

const Names& names_of(Result result) {
  for (const auto& names : kNames)
    if (names.result == result) return names;
  return kNames.front();
}

Result certificate_result(long verify_error) {
  switch (verify_error) {
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return Result::certificate_host_mismatch;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return Result::certificate_expired;
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
      return Result::certificate_not_trusted;
    default:
      return Result::validation_failure;
  }
}

}  // namespace

std::string_view to_string(Result result) {
  return names_of(result).rfc;
}
std::string_view metric_label(Result result) {
  return names_of(result).label;
}

std::optional<Result> result_from_string(std::string_view text) {
  for (const auto& names : kNames)
    if (names.rfc == text) return names.result;
  return std::nullopt;
}

std::optional<Result> classify_session(const SessionFacts& facts) {
  if (facts.tls_established) {
    if (facts.verification_wanted && !facts.tls_verified)
      return facts.dane ? Result::tlsa_invalid : certificate_result(facts.verify_error);
    return facts.mx_unlisted ? Result::validation_failure : Result::success;
  }
  if (facts.handshake_failed) {
    if (facts.dane && facts.verify_error != X509_V_OK) return Result::tlsa_invalid;
    return certificate_result(facts.verify_error);
  }
  if (facts.tls_wanted && facts.hello_done) return Result::starttls_not_supported;
  return std::nullopt;
}

std::optional<Result> classify_refusal(Refusal refusal) {
  switch (refusal) {
    case Refusal::dane_insecure:
      return Result::dane_required;
    case Refusal::tlsa_lookup_failed:
      return Result::dnssec_invalid;
    case Refusal::tlsa_unusable:
      return Result::tlsa_invalid;
    case Refusal::sts_mx_not_listed:
      return Result::validation_failure;
    case Refusal::none:
      break;
  }
  return std::nullopt;
}

std::optional<Result> classify_sts_problem(std::string_view problem) {
  if (problem == "fetch_failed" || problem == "txt_lookup") return Result::sts_policy_fetch_error;
  if (problem == "webpki") return Result::sts_webpki_invalid;
  if (problem == "policy_invalid" || problem == "txt_invalid") return Result::sts_policy_invalid;
  return std::nullopt;
}

}  // namespace mxrelay::mta::tlsrpt
