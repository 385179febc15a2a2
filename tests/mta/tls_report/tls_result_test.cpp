// tests/mta/tls_report: RFC 8460 result types from what a session showed (table-driven).
#include "mta/tls_report/tls_result.hpp"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

namespace mxrelay::mta::tlsrpt {
namespace {

struct SessionCase {
  const char* name;
  SessionFacts facts;
  std::optional<Result> expected;
};

// wanted, verification, dane, hello, established, verified, failed, verify error, unlisted
SessionFacts facts(bool wanted, bool verification, bool dane, bool hello, bool established,
                   bool verified, bool failed, long error, bool unlisted = false) {
  return {wanted, verification, dane, hello, established, verified, failed, error, unlisted};
}

class Classification : public testing::TestWithParam<SessionCase> {};

TEST_P(Classification, GivesTheResultType) {
  EXPECT_EQ(classify_session(GetParam().facts), GetParam().expected) << GetParam().name;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8460, Classification,
    testing::Values(
        SessionCase{"verified", facts(true, true, false, true, true, true, false, 0),
                    Result::success},
        SessionCase{"unverified without a policy",
                    facts(true, false, false, true, true, false, false,
                          X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT),
                    Result::success},
        SessionCase{"unverified under STS testing",
                    facts(true, true, false, true, true, false, false,
                          X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT),
                    Result::certificate_not_trusted},
        SessionCase{"STS testing, MX not listed",
                    facts(true, true, false, true, true, true, false, 0, true),
                    Result::validation_failure},
        SessionCase{"STS testing, MX not listed, certificate untrusted",
                    facts(true, true, false, true, true, false, false,
                          X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, true),
                    Result::certificate_not_trusted},
        SessionCase{"expired",
                    facts(true, true, false, true, false, false, true, X509_V_ERR_CERT_HAS_EXPIRED),
                    Result::certificate_expired},
        SessionCase{
            "not yet valid",
            facts(true, true, false, true, false, false, true, X509_V_ERR_CERT_NOT_YET_VALID),
            Result::certificate_expired},
        SessionCase{
            "host mismatch",
            facts(true, true, false, true, false, false, true, X509_V_ERR_HOSTNAME_MISMATCH),
            Result::certificate_host_mismatch},
        SessionCase{"no issuer",
                    facts(true, true, false, true, false, false, true,
                          X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY),
                    Result::certificate_not_trusted},
        SessionCase{"self-signed in chain",
                    facts(true, true, false, true, false, false, true,
                          X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN),
                    Result::certificate_not_trusted},
        SessionCase{
            "other certificate error",
            facts(true, true, false, true, false, false, true, X509_V_ERR_CERT_SIGNATURE_FAILURE),
            Result::validation_failure},
        SessionCase{"handshake failed without a certificate error",
                    facts(true, true, false, true, false, false, true, X509_V_OK),
                    Result::validation_failure},
        SessionCase{"DANE mismatch",
                    facts(true, true, true, true, false, false, true, X509_V_ERR_DANE_NO_MATCH),
                    Result::tlsa_invalid},
        SessionCase{"DANE verified", facts(true, true, true, true, true, true, false, 0),
                    Result::success},
        SessionCase{"no STARTTLS", facts(true, false, false, true, false, false, false, 0),
                    Result::starttls_not_supported},
        SessionCase{"no STARTTLS under STS", facts(true, true, false, true, false, false, false, 0),
                    Result::starttls_not_supported},
        SessionCase{"TLS off by choice", facts(false, false, false, true, false, false, false, 0),
                    std::nullopt},
        SessionCase{"lost before EHLO", facts(true, true, false, false, false, false, false, 0),
                    std::nullopt}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (auto& c : name)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
      return name;
    });

TEST(Classification, RefusalsBeforeConnecting) {
  EXPECT_EQ(classify_refusal(Refusal::dane_insecure), Result::dane_required);
  EXPECT_EQ(classify_refusal(Refusal::tlsa_lookup_failed), Result::dnssec_invalid);
  EXPECT_EQ(classify_refusal(Refusal::tlsa_unusable), Result::tlsa_invalid);
  EXPECT_EQ(classify_refusal(Refusal::sts_mx_not_listed), Result::validation_failure);
  EXPECT_EQ(classify_refusal(Refusal::none), std::nullopt);
}

TEST(Classification, StsPolicyProblems) {
  EXPECT_EQ(classify_sts_problem("fetch_failed"), Result::sts_policy_fetch_error);
  EXPECT_EQ(classify_sts_problem("txt_lookup"), Result::sts_policy_fetch_error);
  EXPECT_EQ(classify_sts_problem("webpki"), Result::sts_webpki_invalid);
  EXPECT_EQ(classify_sts_problem("policy_invalid"), Result::sts_policy_invalid);
  EXPECT_EQ(classify_sts_problem("txt_invalid"), Result::sts_policy_invalid);
  EXPECT_EQ(classify_sts_problem("none"), std::nullopt);
}

TEST(Classification, NamesRoundTripAndLabelsAreMetricSafe) {
  for (const auto result : kAllResults) {
    EXPECT_EQ(result_from_string(to_string(result)), result);
    for (const char c : metric_label(result)) EXPECT_TRUE(std::islower(c) || c == '_') << c;
  }
  EXPECT_EQ(to_string(Result::sts_webpki_invalid), "sts-webpki-invalid");
  EXPECT_EQ(result_from_string("certificate_expired"), std::nullopt);
}

}  // namespace
}  // namespace mxrelay::mta::tlsrpt
