// tests/mta/shaping: matching_rule() over the built-in rules and the providers' real replies.
#include "mta/shaping/throttle_rule_match.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::mta {
namespace {

const conf::ShapingSite& site(const std::string& name) {
  static const auto sites = conf::default_shaping_sites();
  for (const auto& s : sites)
    if (s.site == name) return s;
  throw std::logic_error("no site " + name);
}

TEST(ThrottleRuleMatch, ProvidersRepliesMatchTheirRules) {
  struct Row {
    const char* site;
    const char* reply;
    const char* action;  // nullptr: no rule
  };
  const std::vector<Row> rows = {
      {"microsoft",
       "451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited due to IP "
       "reputation.",
       "suspend"},
      {"microsoft", "421 4.7.0 Too many connections from your IP", "halve_connections"},
      {"microsoft", "451 4.7.500 Server busy. Please try again later", "halve_rate"},
      {"microsoft", "550 5.7.650 permanent", nullptr},  // a 5xx is a bounce, never a throttle
      {"microsoft", "451 4.7.6500 not the code", nullptr},
      {"microsoft", "451 4.4.0 Message failed to be made redundant", nullptr},
      {"google", "421 4.7.28 Our system has detected an unusual rate of unsolicited mail",
       "suspend"},
      {"google",
       "450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
       "prevents additional messages",
       "halve_rate"},
      {"google", "421 4.7.0 Try again later, closing connection. (RATE LIMITED)", "halve_rate"},
      {"yahoo", "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred", "suspend"},
      {"yahoo", "421 4.7.0 [TS01] Messages from 192.0.2.1 temporarily deferred", "suspend"},
      {"yahoo", "554 5.7.9 [TSS04] permanent", nullptr},
      {"yahoo", "", nullptr},
      {"yahoo", "4", nullptr},
  };
  for (const auto& row : rows) {
    const auto* rule = matching_rule(site(row.site).on_reply, row.reply);
    if (!row.action)
      EXPECT_EQ(rule, nullptr) << row.reply;
    else
      EXPECT_TRUE(rule && std::string(conf::to_string(rule->action)) == row.action) << row.reply;
  }
}

TEST(ThrottleRuleMatch, CodeAndTextMustBothMatchWhenBothAreGiven) {
  conf::ThrottleRule rule;
  rule.code = "4.7";
  rule.text = {"busy", "try later"};
  const std::vector<conf::ThrottleRule> rules{rule};
  EXPECT_NE(matching_rule(rules, "451 4.7.1 Busy"), nullptr);
  EXPECT_NE(matching_rule(rules, "451 4.7.1 please TRY LATER"), nullptr);
  EXPECT_EQ(matching_rule(rules, "451 4.7.1 no"), nullptr);
  EXPECT_EQ(matching_rule(rules, "451 4.3.0 busy"), nullptr);
  EXPECT_EQ(matching_rule(rules, "451 busy"), nullptr);  // no enhanced code to match
}

TEST(ThrottleRuleMatch, StatusPrefixIsByWholeComponents) {
  EXPECT_TRUE(status_has_prefix("4.7.650", "4"));
  EXPECT_TRUE(status_has_prefix("4.7.650", "4.7"));
  EXPECT_TRUE(status_has_prefix("4.7.650", "4.7.650"));
  EXPECT_FALSE(status_has_prefix("4.7.650", "4.7.6"));
  EXPECT_FALSE(status_has_prefix("4.70.1", "4.7"));
}

}  // namespace
}  // namespace mxrelay::mta
