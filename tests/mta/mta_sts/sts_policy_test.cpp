// tests/mta/mta_sts: the MTA-STS policy parser and mx pattern matching (RFC 8461 3.2, 4.1).
#include "mta/mta_sts/sts_policy.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::sts {
namespace {

TEST(StsPolicy, ParsesTheRfcExampleWithCrlf) {
  const auto policy = parse_policy(
      "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\n"
      "mx: backupmx.example.com\r\nmax_age: 604800\r\n");
  ASSERT_TRUE(policy) << policy.error();
  EXPECT_EQ(policy->mode, Mode::enforce);
  EXPECT_EQ(policy->max_age, 604800u);
  EXPECT_EQ(policy->mx, (std::vector<std::string>{"mail.example.com", "*.example.net",
                                                  "backupmx.example.com"}));
}

TEST(StsPolicy, AcceptsLfLinesTrailingSpaceNoFinalNewlineAndUnknownKeys) {
  const auto policy = parse_policy(
      "version:STSv1\nmode: testing  \nfoo_bar: whatever\nmx: MX.Example.ORG.\n"
      "max_age: 86400");
  ASSERT_TRUE(policy) << policy.error();
  EXPECT_EQ(policy->mode, Mode::testing);
  EXPECT_EQ(policy->mx, std::vector<std::string>{"mx.example.org"});
  EXPECT_EQ(policy->max_age, 86400u);
}

TEST(StsPolicy, ModeNoneNeedsNoMx) {
  const auto policy = parse_policy("version: STSv1\nmode: none\nmax_age: 0\n");
  ASSERT_TRUE(policy) << policy.error();
  EXPECT_EQ(policy->mode, Mode::none);
  EXPECT_TRUE(policy->mx.empty());
}

struct Invalid {
  const char* body;
  const char* error;
};

class InvalidPolicy : public testing::TestWithParam<Invalid> {};

TEST_P(InvalidPolicy, IsRefusedWithTheReason) {
  const auto policy = parse_policy(GetParam().body);
  ASSERT_FALSE(policy);
  EXPECT_NE(policy.error().find(GetParam().error), std::string::npos) << policy.error();
}

INSTANTIATE_TEST_SUITE_P(
    Rfc8461, InvalidPolicy,
    testing::Values(
        Invalid{"version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 1\n", "not STSv1"},
        Invalid{"mode: enforce\nmx: a.example\nmax_age: 1\n", "no version"},
        Invalid{"version: STSv1\nmx: a.example\nmax_age: 1\n", "no mode"},
        Invalid{"version: STSv1\nmode: enforce\nmx: a.example\n", "no max_age"},
        Invalid{"version: STSv1\nmode: enforce\nmax_age: 1\n", "no mx"},
        Invalid{"version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1\n", "unknown mode"},
        Invalid{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601\n", "max_age"},
        Invalid{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -1\n", "max_age"},
        Invalid{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1d\n", "max_age"},
        Invalid{"version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 1\n", "mx pattern"},
        Invalid{"version: STSv1\nmode: enforce\nmx: mail.*.example\nmax_age: 1\n", "mx pattern"},
        Invalid{"version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 1\nmode: testing\n",
                "mode given twice"},
        Invalid{"version: STSv1\nmode: enforce\n\nmx: a.example\nmax_age: 1\n", "line 3"},
        Invalid{"<html>version: STSv1</html>\n", "invalid key"}));

struct Match {
  const char* pattern;
  const char* host;
  bool matches;
};

class MxPattern : public testing::TestWithParam<Match> {};

TEST_P(MxPattern, MatchesAsSection41Says) {
  EXPECT_EQ(mx_pattern_matches(GetParam().pattern, GetParam().host), GetParam().matches)
      << GetParam().pattern << " vs " << GetParam().host;
}

INSTANTIATE_TEST_SUITE_P(Rfc8461, MxPattern,
                         testing::Values(Match{"mail.example.com", "mail.example.com", true},
                                         Match{"mail.example.com", "MAIL.example.com.", true},
                                         Match{"mail.example.com", "mail2.example.com", false},
                                         Match{"*.example.com", "mx1.example.com", true},
                                         Match{"*.example.com", "a.b.example.com", false},
                                         Match{"*.example.com", "example.com", false},
                                         Match{"*.example.com", "xexample.com", false},
                                         Match{"*.example.com", "mx.example.net", false}));

TEST(StsPolicy, ListsAnMxWhenAnyPatternMatches) {
  Policy policy{Mode::enforce, {"mx.example.org", "*.example.net"}, 60};
  EXPECT_TRUE(policy_lists_mx(policy, "b.example.net"));
  EXPECT_FALSE(policy_lists_mx(policy, "mx.example.com"));
}

TEST(StsPolicy, DescribesItselfWithDomainIdAndMode) {
  DomainPolicy policy{"example.org", "abc1", Policy{Mode::testing, {"mx.example.org"}, 60}};
  EXPECT_EQ(policy.describe(), "MTA-STS policy of example.org (id abc1, mode testing)");
}

}  // namespace
}  // namespace mxrelay::mta::sts
