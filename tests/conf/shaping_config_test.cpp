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

// The site as text, without where it was defined.
std::string describe(const ShapingSite& site) {
  std::string out = site.site + " conns=" + std::to_string(site.max_connections) +
                    " per_conn=" + std::to_string(site.max_messages_per_connection) +
                    " per_min=" + std::to_string(site.max_messages_per_minute);
  for (const auto& suffix : site.mx_suffixes) out += " " + suffix;
  for (const auto& rule : site.on_reply) {
    out += " [" + rule.code + "|";
    for (const auto& phrase : rule.text) out += phrase + ";";
    out += std::string("|") + to_string(rule.action) + "|" + std::to_string(rule.duration.count()) +
           "]";
  }
  return out;
}

TEST(ShapingConfig, TheReferenceConfigWritesOutTheBuiltInSites) {
  auto config = load_config(MXRELAY_REFERENCE_CONFIG);
  ASSERT_TRUE(config) << config.error().front().str();
  const auto built_in = default_shaping_sites();
  ASSERT_EQ(config->shaping.size(), built_in.size());
  for (std::size_t i = 0; i < built_in.size(); ++i) {
    EXPECT_EQ(describe(config->shaping[i]), describe(built_in[i]));
    EXPECT_NE(config->shaping[i].where, "built-in");
  }
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
text = ["rate limited", "slow down"]
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
  EXPECT_EQ(microsoft->on_reply[0].text, (std::vector<std::string>{"rate limited", "slow down"}));
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
      {"text not a list",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "text = \"busy\"\naction = \"suspend\"\n",
       {"t.toml:5:8: shaping.on_reply.text: expected an array of strings, got a string"}},
      {"empty phrase",
       "[[shaping]]\nsite = \"a\"\nmx_suffixes = [\".a.example\"]\n[[shaping.on_reply]]\n"
       "text = [\"\"]\naction = \"suspend\"\n",
       {"t.toml:5:9: shaping.on_reply.text: a phrase must have 1 to 200 characters"}},
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
