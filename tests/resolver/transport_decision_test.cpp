// Tests for the transport-map decision: which name is resolved how, with which port, TLS
// policy and action, for a recipient domain.
#include "resolver/transport_decision.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "conf/load_config.hpp"

namespace mxrelay::resolver {
namespace {

conf::Config config_with_map() {
  auto config = conf::parse_config(R"(
[server]
hostname = "relay.example.net"
[delivery]
port = 2525
tls = "encrypt"
address_literals = "deliver"
[transport]
"outlook.com" = { host = "outlook-com.olc.protection.outlook.com" }
".corp.example" = { host = "mailgw.corp.example:587", tls = "verify" }
"partner.example" = { mx = "mx-relay.partner.example" }
"paused.example" = { action = "hold", reason = "migration" }
"literal.example" = { host = "[192.0.2.1]:26" }
)",
                                   "test.toml");
  EXPECT_TRUE(config) << (config ? "" : config.error().front().str());
  return *config;
}

TEST(TransportDecision, Table) {
  using Lookup = TransportDecision::Lookup;
  struct Row {
    const char* domain;
    Lookup lookup;
    const char* name;
    std::uint16_t port;
    conf::TlsPolicy tls;
    conf::TransportAction action;
  } rows[] = {
      {"outlook.com", Lookup::host, "outlook-com.olc.protection.outlook.com", 2525,
       conf::TlsPolicy::encrypt, conf::TransportAction::deliver},
      {"eu.corp.example", Lookup::host, "mailgw.corp.example", 587, conf::TlsPolicy::verify,
       conf::TransportAction::deliver},
      {"corp.example", Lookup::recipient_mx, "corp.example", 2525, conf::TlsPolicy::encrypt,
       conf::TransportAction::deliver},
      {"partner.example", Lookup::mx_of_name, "mx-relay.partner.example", 2525,
       conf::TlsPolicy::encrypt, conf::TransportAction::deliver},
      {"paused.example", Lookup::recipient_mx, "paused.example", 2525, conf::TlsPolicy::encrypt,
       conf::TransportAction::hold},
      {"literal.example", Lookup::host, "192.0.2.1", 26, conf::TlsPolicy::encrypt,
       conf::TransportAction::deliver},
      {"[127.0.0.9]", Lookup::host, "127.0.0.9", 2525, conf::TlsPolicy::encrypt,
       conf::TransportAction::deliver},
      {"[IPv6:::1]", Lookup::host, "::1", 2525, conf::TlsPolicy::encrypt,
       conf::TransportAction::deliver},
  };
  auto config = config_with_map();
  for (const auto& row : rows) {
    auto decision = decide_transport(config, row.domain);
    EXPECT_EQ(decision.lookup, row.lookup) << row.domain;
    EXPECT_EQ(decision.name, row.name) << row.domain;
    EXPECT_EQ(decision.port, row.port) << row.domain;
    EXPECT_EQ(decision.tls, row.tls) << row.domain;
    EXPECT_EQ(decision.action, row.action) << row.domain;
  }
}

conf::Config config_from(const std::string& text) {
  auto config = conf::parse_config(text, "test.toml");
  EXPECT_TRUE(config) << (config ? "" : config.error().front().str());
  return *config;
}

TEST(TransportDecision, MtaStsAppliesOnlyToTheDomainsOwnMxWithoutAnEntrysTls) {
  auto config = config_from(R"(
[server]
hostname = "relay.example.net"
[delivery]
address_literals = "deliver"
[transport]
"mxonly.example" = { port = 26 }
"strict.example" = { tls = "may" }
"gateway.example" = { host = "mailgw.example" }
"partner.example" = { mx = "mx-relay.partner.example" }
)");
  struct Row {
    const char* domain;
    bool mta_sts;
  } rows[] = {{"example.org", true},      {"mxonly.example", true},   {"strict.example", false},
              {"gateway.example", false}, {"partner.example", false}, {"[127.0.0.9]", false}};
  for (const auto& row : rows)
    EXPECT_EQ(decide_transport(config, row.domain).mta_sts, row.mta_sts) << row.domain;
  config.delivery.mta_sts = false;
  EXPECT_FALSE(decide_transport(config, "example.org").mta_sts);
}

TEST(TransportDecision, AddressLiteralsAreRefusedByDefault) {
  auto config = config_from("[server]\nhostname = \"relay.example.net\"\n");
  for (const char* literal : {"[127.0.0.9]", "[IPv6:::1]"}) {
    const auto decision = decide_transport(config, literal);
    EXPECT_EQ(decision.action, conf::TransportAction::reject) << literal;
    const auto refusal = decision.refusal();
    ASSERT_TRUE(refusal) << literal;
    EXPECT_EQ(refusal->str(), "550 5.7.1 mail to address literals is not accepted here");
  }
}

// With literals allowed the map's "*" entry applies to them: a site that sends everything
// through its gateway (or refuses everything) is not bypassed by user@[address].
TEST(TransportDecision, TheWildcardEntryAppliesToAddressLiterals) {
  using Lookup = TransportDecision::Lookup;
  const std::string base =
      "[server]\nhostname = \"relay.example.net\"\n[delivery]\naddress_literals = "
      "\"deliver\"\n[transport]\n";
  auto gateway = config_from(base + "\"*\" = { host = \"gw.example.net:2526\" }\n");
  auto via_gateway = decide_transport(gateway, "[192.0.2.7]");
  EXPECT_EQ(via_gateway.lookup, Lookup::host);
  EXPECT_EQ(via_gateway.name, "gw.example.net");
  EXPECT_EQ(via_gateway.port, 2526);

  auto refusing = config_from(base + "\"*\" = { action = \"reject\", reason = \"no\" }\n");
  EXPECT_EQ(decide_transport(refusing, "[IPv6:2001:db8::7]").refusal()->str(), "550 5.7.1 no");

  auto policy_only = config_from(base + "\"*\" = { tls = \"verify\" }\n");
  auto direct = decide_transport(policy_only, "[192.0.2.7]");
  EXPECT_EQ(direct.name, "192.0.2.7");
  EXPECT_EQ(direct.tls, conf::TlsPolicy::verify);
}

TEST(TransportDecision, ExplainsTheMatchAndWhereTheEntryIs) {
  auto config = config_with_map();
  auto outlook = decide_transport(config, "outlook.com");
  EXPECT_NE(outlook.matched.find("outlook.com"), std::string::npos) << outlook.matched;
  EXPECT_EQ(outlook.entry_location, "test.toml:9:1");
  auto paused = decide_transport(config, "paused.example");
  EXPECT_EQ(paused.reason, "migration");
  auto other = decide_transport(config, "example.org");
  EXPECT_TRUE(other.entry_location.empty());
  EXPECT_FALSE(other.matched.empty());
}

TEST(TransportDecision, InternationalisedDomainsAreResolvedAsALabels) {
  auto config = config_with_map();
  struct Row {
    const char* domain;
    const char* name;
    const char* a_label;
    const char* u_label;
  } rows[] = {
      {"bücher.example", "xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"},
      {"xn--bcher-kva.example", "xn--bcher-kva.example", "xn--bcher-kva.example", "bücher.example"},
      {"example.org", "example.org", "example.org", ""},
  };
  for (const auto& row : rows) {
    auto decision = decide_transport(config, row.domain);
    EXPECT_EQ(decision.name, row.name) << row.domain;
    EXPECT_EQ(decision.a_label, row.a_label) << row.domain;
    EXPECT_EQ(decision.u_label, row.u_label) << row.domain;
    EXPECT_FALSE(decision.refusal()) << row.domain;
  }
}

TEST(TransportDecision, DomainWithoutAnALabelIsA553Refusal) {
  auto config = config_with_map();
  for (const char* domain : {"\xe2\x98\x83.example",
                             "a\xe2\x80\x8d"
                             "b.example",
                             "b\xff.example"}) {
    auto decision = decide_transport(config, domain);
    ASSERT_TRUE(decision.invalid_domain) << domain;
    auto refusal = decision.refusal();
    ASSERT_TRUE(refusal) << domain;
    EXPECT_TRUE(refusal->is_permanent());
    EXPECT_EQ(refusal->reply_code, 553);
    EXPECT_EQ(refusal->status.str(), "5.1.2");
    EXPECT_NE(refusal->reason.find("not a valid internationalised domain name"), std::string::npos)
        << refusal->reason;
  }
}

TEST(TransportDecision, RefusalFollowsTheAction) {
  auto config = conf::parse_config(R"(
[transport]
"later.example" = { action = "defer", reason = "not yet" }
"never.example" = { action = "reject", reason = "not here" }
"held.example" = { action = "hold" }
)",
                                   "test.toml");
  ASSERT_TRUE(config);
  auto later = decide_transport(*config, "later.example").refusal();
  ASSERT_TRUE(later);
  EXPECT_EQ(later->str(), "451 4.3.2 not yet");
  auto never = decide_transport(*config, "never.example").refusal();
  ASSERT_TRUE(never);
  EXPECT_EQ(never->str(), "550 5.7.1 not here");
  EXPECT_FALSE(decide_transport(*config, "held.example").refusal());
  EXPECT_FALSE(decide_transport(*config, "other.example").refusal());
}

TEST(TransportDecision, CarriesTheAuthUserAndImplicitTlsButNoPassword) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mxrelay-decision-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "isp.pw") << "s3cret\n";
  std::filesystem::permissions(
      dir / "isp.pw", std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::ofstream(dir / "relay.toml") << R"(
[auth.isp]
username = "relay@corp.example"
password_file = "isp.pw"
[transport]
"*" = { host = "smtp.isp.example", auth = "isp", implicit_tls = true }
)";
  auto config = conf::load_config(dir / "relay.toml");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(config) << config.error().front().str();
  auto decision = decide_transport(*config, "any.example");
  EXPECT_EQ(decision.auth, "isp");
  EXPECT_EQ(decision.auth_username, "relay@corp.example");
  EXPECT_TRUE(decision.implicit_tls);
  EXPECT_EQ(decision.port, 465);
  EXPECT_EQ(decision.tls, conf::TlsPolicy::verify);
}

}  // namespace
}  // namespace mxrelay::resolver
