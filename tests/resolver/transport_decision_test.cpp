// Tests for the transport-map decision: which name is resolved how, with which port, TLS
// policy and action, for a recipient domain.
#include "resolver/transport_decision.hpp"

#include <gtest/gtest.h>

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

TEST(TransportDecision, ExplainsTheMatchAndWhereTheEntryIs) {
  auto config = config_with_map();
  auto outlook = decide_transport(config, "outlook.com");
  EXPECT_NE(outlook.matched.find("outlook.com"), std::string::npos) << outlook.matched;
  EXPECT_EQ(outlook.entry_location, "test.toml:8:1");
  auto paused = decide_transport(config, "paused.example");
  EXPECT_EQ(paused.reason, "migration");
  auto other = decide_transport(config, "example.org");
  EXPECT_TRUE(other.entry_location.empty());
  EXPECT_FALSE(other.matched.empty());
}

}  // namespace
}  // namespace mxrelay::resolver
