// tests/mta/mta_sts: the MTA-STS rule for one delivery candidate (RFC 8461 section 4).
#include "mta/mta_sts/sts_tls_rule.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::sts {
namespace {

DomainPolicy policy(Mode mode) {
  return {"example.org", "id1", Policy{mode, {"mx.example.org", "*.mx.example.org"}, 600}};
}

struct Case {
  const char* name;
  std::optional<Mode> mode;  // nullopt: no policy
  TlsPolicy before;
  bool dane;
  const char* host;
  TlsPolicy after;
  bool enforced;
  bool refused;
  bool testing_failure;
};

class CandidateRuleTable : public testing::TestWithParam<Case> {};

TEST_P(CandidateRuleTable, Applies) {
  const auto& c = GetParam();
  const auto domain_policy = c.mode ? std::optional(policy(*c.mode)) : std::nullopt;
  const auto rule =
      apply_policy(domain_policy ? &*domain_policy : nullptr, c.before, c.dane, c.host);
  EXPECT_EQ(rule.session_policy, c.after) << c.name;
  EXPECT_EQ(rule.enforced, c.enforced) << c.name;
  EXPECT_EQ(rule.failure.has_value(), c.refused) << c.name;
  EXPECT_EQ(!rule.testing_failure.empty(), c.testing_failure) << c.name;
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8461, CandidateRuleTable,
    testing::Values(Case{"no policy", std::nullopt, TlsPolicy::may, false, "mx.example.org",
                         TlsPolicy::may, false, false, false},
                    Case{"mode none", Mode::none, TlsPolicy::may, false, "x.example",
                         TlsPolicy::may, false, false, false},
                    Case{"enforce, listed", Mode::enforce, TlsPolicy::may, false, "mx.example.org",
                         TlsPolicy::verify, true, false, false},
                    Case{"enforce, wildcard", Mode::enforce, TlsPolicy::encrypt, false,
                         "a.mx.example.org", TlsPolicy::verify, true, false, false},
                    Case{"enforce, not listed", Mode::enforce, TlsPolicy::may, false,
                         "mx.other.example", TlsPolicy::may, false, true, false},
                    Case{"enforce, DANE wins", Mode::enforce, TlsPolicy::verify, true,
                         "mx.other.example", TlsPolicy::verify, false, false, false},
                    Case{"testing, listed", Mode::testing, TlsPolicy::may, false, "mx.example.org",
                         TlsPolicy::may, false, false, false},
                    Case{"testing, not listed", Mode::testing, TlsPolicy::may, false,
                         "mx.other.example", TlsPolicy::may, false, false, true}));

TEST(CandidateRule, TheRefusalIsA451_475NamingThePolicyAndHost) {
  const auto enforce = policy(Mode::enforce);
  const auto rule = apply_policy(&enforce, TlsPolicy::may, false, "mx.other.example");
  ASSERT_TRUE(rule.failure);
  EXPECT_EQ(rule.failure->str(),
            "451 4.7.5 MTA-STS policy of example.org (id id1, mode enforce) does not list MX "
            "host mx.other.example");
}

TEST(CandidateRule, AnEnforcedTlsFailureNamesThePolicy) {
  const auto failure = enforced_failure(
      policy(Mode::enforce), core::Failure::temporary(451, {4, 7, 5}, "TLS handshake failed"));
  EXPECT_EQ(failure.str(),
            "451 4.7.5 TLS handshake failed (verified TLS required by the MTA-STS policy of "
            "example.org (id id1, mode enforce))");
}

}  // namespace
}  // namespace mxrelay::mta::sts
