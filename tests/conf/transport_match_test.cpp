// Table tests for TransportMap matching: exact, subdomain versus apex, default, most
// specific wins, case, trailing dots, and internationalised names in either form.
#include <gtest/gtest.h>

#include <string>

#include "conf/load_config.hpp"

namespace mxrelay::conf {
namespace {

constexpr const char* kMap = R"(
[transport]
"example.com" = { host = "exact.example.net" }
".example.com" = { host = "sub.example.net" }
".deep.example.com" = { host = "deep.example.net" }
"Mixed.Example.ORG." = { mx = "mixed.example.net" }
"bücher.example" = { host = "ulabel.example.net" }
"xn--caf-dma.example" = { host = "alabel.example.net" }
"*" = {}
)";

TransportMap load_map(const char* toml) {
  auto config = parse_config(toml, "map.toml");
  EXPECT_TRUE(config) << config.error().front().str();
  return config ? config->transport : TransportMap{};
}

struct Row {
  const char* domain;
  const char* key;  // the key as written that must match
  MatchRule rule;
};

TEST(TransportMatch, MostSpecificKeyWins) {
  const auto map = load_map(kMap);
  const Row rows[] = {
      {"example.com", "example.com", MatchRule::exact},
      {"a.example.com", ".example.com", MatchRule::subdomain},
      {"x.y.example.com", ".example.com", MatchRule::subdomain},
      {"deep.example.com", ".example.com", MatchRule::subdomain},  // apex of .deep...
      {"a.deep.example.com", ".deep.example.com", MatchRule::subdomain},
      {"a.b.deep.example.com", ".deep.example.com", MatchRule::subdomain},
      {"EXAMPLE.COM", "example.com", MatchRule::exact},
      {"example.com.", "example.com", MatchRule::exact},
      {"A.Example.Com.", ".example.com", MatchRule::subdomain},
      {"notexample.com", "*", MatchRule::wildcard},
      {"com", "*", MatchRule::wildcard},
      {"mixed.example.org", "Mixed.Example.ORG.", MatchRule::exact},
      {"sub.mixed.example.org", "*", MatchRule::wildcard},
      {"xn--bcher-kva.example", "bücher.example", MatchRule::exact},
      {"BÜCHER.example.", "bücher.example", MatchRule::exact},
      {"café.example", "xn--caf-dma.example", MatchRule::exact},
      {"other.net", "*", MatchRule::wildcard},
      {"", "*", MatchRule::wildcard},
      {".example.com", "*", MatchRule::wildcard},  // not a domain: only the default
  };
  for (const auto& row : rows) {
    auto match = map.explain(row.domain);
    ASSERT_NE(match.entry, nullptr) << row.domain;
    EXPECT_EQ(match.entry->key, row.key) << row.domain;
    EXPECT_EQ(match.rule, row.rule) << row.domain;
    EXPECT_EQ(map.match(row.domain), match.entry) << row.domain;
  }
}

TEST(TransportMatch, ComparesInCanonicalALabelForm) {
  const auto map = load_map(kMap);
  EXPECT_EQ(map.explain("BÜCHER.Example.").domain, "xn--bcher-kva.example");
  EXPECT_EQ(map.explain("Outlook.COM.").domain, "outlook.com");
  EXPECT_EQ(map.match("bücher.example")->pattern, "xn--bcher-kva.example");
  EXPECT_EQ(map.match("a.example.com")->pattern, ".example.com");
  EXPECT_EQ(map.match("mixed.example.org")->pattern, "mixed.example.org");
}

TEST(TransportMatch, WithoutDefaultKeyUnmatchedDomainsGetTheBuiltInDefault) {
  const auto map = load_map("[transport]\n\".corp.example\" = { host = \"gw.corp.example\" }\n");
  auto match = map.explain("corp.example");
  EXPECT_EQ(match.entry, nullptr);
  EXPECT_EQ(match.rule, MatchRule::none);
  EXPECT_EQ(match.why(), "no transport entry: MX of the recipient domain");
  EXPECT_EQ(map.match("other.example"), nullptr);
  EXPECT_NE(map.match("a.corp.example"), nullptr);
}

TEST(TransportMatch, WhySaysWhichKeyMatched) {
  const auto map = load_map(kMap);
  EXPECT_EQ(map.explain("Example.com").why(), "exact \"example.com\"");
  EXPECT_EQ(map.explain("mail.example.com").why(), "subdomain of \".example.com\"");
  EXPECT_EQ(map.explain("elsewhere.org").why(), "default \"*\"");
}

TEST(TransportMatch, EmptyMapMatchesNothing) {
  TransportMap map;
  EXPECT_TRUE(map.empty());
  EXPECT_EQ(map.match("example.com"), nullptr);
}

TEST(TransportMatch, AddingADuplicatePatternIsAProgrammerError) {
  TransportMap map;
  TransportEntry entry;
  entry.key = entry.pattern = "example.com";
  map.add(entry);
  EXPECT_THROW(map.add(entry), std::logic_error);
  EXPECT_EQ(map.entries().size(), 1u);
}

TEST(TransportKey, CanonicalForms) {
  struct KeyRow {
    const char* key;
    const char* canonical;  // "" when invalid
  } rows[] = {
      {"*", "*"},
      {"Example.COM.", "example.com"},
      {".Corp.Example", ".corp.example"},
      {"Bücher.Example", "xn--bcher-kva.example"},
      {".bücher.example", ".xn--bcher-kva.example"},
      {"*.example.com", ""},
      {"**", ""},
      {".", ""},
      {"", ""},
      {"..example.com", ""},
      {"exa mple.com", ""},
  };
  for (const auto& row : rows) {
    auto canonical = canonical_transport_key(row.key);
    if (*row.canonical == '\0') {
      EXPECT_FALSE(canonical) << row.key;
    } else {
      ASSERT_TRUE(canonical) << row.key << ": " << canonical.error();
      EXPECT_EQ(*canonical, row.canonical) << row.key;
    }
  }
}

}  // namespace
}  // namespace mxrelay::conf
