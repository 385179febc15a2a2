// tests/conf: the [[shaping]] entries: the built-in sites, an entry that replaces one, a new
// site with its rules, and every refusal with its position.
#include <gtest/gtest.h>

#include <string>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

const ShapingSite* find_site(const Config& config, const std::string& name) {
  for (const auto& site : config.shaping)
    if (site.site == name) return &site;
  return nullptr;
}

TEST(ShapingConfig, BuiltInSitesApplyWithoutConfiguration) {
  auto config = parse_config("", "t.toml");
  ASSERT_TRUE(config);
  ASSERT_EQ(config->shaping.size(), 3u);
  const auto* microsoft = find_site(*config, "microsoft");
  ASSERT_NE(microsoft, nullptr);
  EXPECT_EQ(microsoft->max_connections, 10u);
  EXPECT_EQ(microsoft->mx_suffixes.front(), ".olc.protection.outlook.com");
  EXPECT_EQ(microsoft->on_reply.front().code, "4.7.650");
  EXPECT_EQ(microsoft->on_reply.front().action, ThrottleAction::suspend);
  EXPECT_EQ(microsoft->where, "built-in");
  EXPECT_NE(find_site(*config, "google"), nullptr);
  EXPECT_NE(find_site(*config, "yahoo"), nullptr);
}

TEST(ShapingConfig, AnEntryReplacesTheBuiltInSiteOfItsNameAndOthersAreAdded) {
  auto config = parse_config(R"([[shaping]]
site = "microsoft"
mx_suffixes = [".Mail.Protection.Outlook.com."]
max_connections = 4
max_messages_per_connection = 25
max_messages_per_minute = 600
[[shaping.on_reply]]
code = "4.7"
text = "rate limited"
action = "halve_rate"
duration = "5m"
[[shaping]]
site = "example-isp"
mx_suffixes = [".mx.example.net"]
)",
                             "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  ASSERT_EQ(config->shaping.size(), 4u);
  const auto* microsoft = find_site(*config, "microsoft");
  ASSERT_NE(microsoft, nullptr);
  EXPECT_EQ(microsoft->mx_suffixes, std::vector<std::string>{".mail.protection.outlook.com"});
  EXPECT_EQ(microsoft->max_connections, 4u);
  EXPECT_EQ(microsoft->max_messages_per_connection, 25u);
  EXPECT_EQ(microsoft->max_messages_per_minute, 600u);
  ASSERT_EQ(microsoft->on_reply.size(), 1u);
  EXPECT_EQ(microsoft->on_reply[0].code, "4.7");
  EXPECT_EQ(microsoft->on_reply[0].action, ThrottleAction::halve_rate);
  EXPECT_EQ(microsoft->on_reply[0].duration, std::chrono::minutes(5));
  ASSERT_NE(microsoft->on_reply[0].regex, nullptr);
  EXPECT_EQ(microsoft->where, "t.toml:1:1");
  const auto* isp = find_site(*config, "example-isp");
  ASSERT_NE(isp, nullptr);
  EXPECT_EQ(isp->max_connections, 0u);
  EXPECT_TRUE(isp->on_reply.empty());
}

TEST(ShapingConfig, ASuffixTakenOverFromABuiltInSiteLeavesIt) {
  auto config = parse_config(R"([[shaping]]
site = "gmail-only"
mx_suffixes = [".google.com"]
)",
                             "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  const auto* google = find_site(*config, "google");
  ASSERT_NE(google, nullptr);
  EXPECT_EQ(google->mx_suffixes, std::vector<std::string>{".googlemail.com"});
}

TEST(ShapingConfig, Refusals) {
  check({
      {"missing keys",
       "[[shaping]]\n",
       {"t.toml:1:1: shaping.site: required key is missing",
        "t.toml:1:1: shaping.mx_suffixes: required key is missing"}},
      {"bad site name",
       "[[shaping]]\nsite = \"Other Site\"\nmx_suffixes = [\".a.example\"]\n",
       {"t.toml:2:8: shaping.site: \"Other Site\" is not a site name (lower-case letters, "
        "digits, '-' and '_'; \"other\" is reserved)"}},
      {"reserved name",
       "[[shaping]]\nsite = \"other\"\nmx_suffixes = [\".a.example\"]\n",
       {"t.toml:2:8: shaping.site: \"other\" is not a site name (lower-case letters, digits, "
        "'-' and '_'; \"other\" is reserved)"}},
      {"suffix without a dot",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\"a.example\"]\n",
       {"t.toml:3:15: shaping.mx_suffixes: must list at least one suffix",
        "t.toml:3:16: shaping.mx_suffixes: \"a.example\" is not a host name suffix (a dot, "
        "then a host name: \".example.net\")"}},
      {"site twice",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n"
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".b.example\"]\n",
       {"t.toml:5:8: shaping.site: site \"a\" is already defined at t.toml:1:1"}},
      {"suffix in two sites",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n"
       "[[shaping]]\nsite = \"b\"\nmx_suffixes = [\".a.example\"]\n",
       {"t.toml:6:15: shaping.mx_suffixes: \".a.example\" already belongs to site a"}},
      {"negative limit",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\nmax_connections = -1\n",
       {"t.toml:4:19: shaping.max_connections: -1 is out of range (0..1000000)"}},
      {"unknown key",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\nrate = 5\n",
       {"t.toml:4:1: shaping.rate: unknown key"}},
      {"rule without a match",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "action = \"suspend\"\n",
       {"t.toml:4:1: shaping.on_reply.code: a rule needs code, text or both"}},
      {"rule without an action",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "code = \"4.7.650\"\n",
       {"t.toml:4:1: shaping.on_reply.action: required key is missing"}},
      {"permanent code",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "code = \"5.7.1\"\naction = \"suspend\"\n",
       {"t.toml:5:8: shaping.on_reply.code: \"5.7.1\" is not a temporary enhanced status code "
        "or prefix (4, 4.7, 4.7.650)"}},
      {"bad expression",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "text = \"(unclosed\"\naction = \"suspend\"\n",
       {"t.toml:5:8: shaping.on_reply.text: \"(unclosed\" is not a regular expression: "
        "Mismatched '(' and ')' in regular expression"}},
      {"bad action",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "code = \"4.7.650\"\naction = \"stop\"\nduration = \"0\"\n",
       {"t.toml:6:10: shaping.on_reply.action: invalid value \"stop\" (use suspend, halve_rate "
        "or halve_connections)",
        "t.toml:7:12: shaping.on_reply.duration: duration must be greater than zero"}},
  });
}

}  // namespace
}  // namespace mxrelay::conf
