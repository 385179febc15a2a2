// Tests for loading the transport map and the auth tables: entry fields and defaults,
// the separate transport file, duplicates across files, password file permissions, and
// the shipped conf/transport.toml.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "conf/config_warnings.hpp"
#include "conf/load_config.hpp"

namespace mxrelay::conf {
namespace {

namespace fs = std::filesystem;

Config parse_ok(const std::string& toml) {
  auto config = parse_config(toml, "t.toml");
  EXPECT_TRUE(config) << config.error().front().str();
  return config ? *config : Config{};
}

TEST(TransportConfig, EntryFields) {
  auto config = parse_ok(R"(
[transport]
".Corp.Example" = { host = "MailGW.corp.example:2525", tls = "verify", max_connections = 4 }
"partner.example" = { mx = "mx-relay.partner.example", port = 2526, tls = "encrypt" }
"lab.example" = { host = "[2001:db8::25]" }
"paused.example" = { host = "192.0.2.25:25", action = "hold", reason = "maintenance until Monday" }
)");
  ASSERT_EQ(config.transport.entries().size(), 4u);
  const auto& corp = config.transport.entries()[0];
  EXPECT_EQ(corp.key, ".Corp.Example");
  EXPECT_EQ(corp.pattern, ".corp.example");
  EXPECT_EQ(corp.kind, NextHopKind::host);
  EXPECT_EQ(corp.name, "mailgw.corp.example");
  EXPECT_FALSE(corp.address);
  EXPECT_EQ(corp.port, 2525);
  EXPECT_EQ(corp.tls, TlsPolicy::verify);
  EXPECT_FALSE(corp.tls_inherited);
  EXPECT_EQ(corp.max_connections, 4u);
  EXPECT_EQ(corp.action, TransportAction::deliver);
  EXPECT_EQ(corp.reason, "");
  EXPECT_EQ(corp.where(), "t.toml:3:1");

  const auto& partner = config.transport.entries()[1];
  EXPECT_EQ(partner.kind, NextHopKind::mx);
  EXPECT_EQ(partner.name, "mx-relay.partner.example");
  EXPECT_EQ(partner.port, 2526);
  EXPECT_EQ(partner.tls, TlsPolicy::encrypt);
  EXPECT_EQ(partner.line, 4);

  const auto& lab = config.transport.entries()[2];
  EXPECT_EQ(lab.kind, NextHopKind::host);
  ASSERT_TRUE(lab.address);
  EXPECT_EQ(lab.address->str(), "2001:db8::25");
  EXPECT_EQ(lab.name, "2001:db8::25");
  EXPECT_FALSE(lab.port);

  // An action other than deliver keeps the route, so it can be resumed by removing it.
  const auto& paused = config.transport.entries()[3];
  EXPECT_EQ(paused.action, TransportAction::hold);
  EXPECT_EQ(paused.reason, "maintenance until Monday");
  EXPECT_EQ(paused.kind, NextHopKind::host);
  EXPECT_EQ(paused.address->str(), "192.0.2.25");
  EXPECT_EQ(paused.port, 25);
}

TEST(TransportConfig, EntryDefaults) {
  auto config = parse_ok("[transport]\n\"*\" = {}\n");
  const auto* entry = config.transport.match("any.example");
  ASSERT_NE(entry, nullptr);
  EXPECT_EQ(entry->key, "*");
  EXPECT_EQ(entry->kind, NextHopKind::recipient_mx);
  EXPECT_EQ(entry->name, "");
  EXPECT_FALSE(entry->address);
  EXPECT_FALSE(entry->port);
  EXPECT_EQ(entry->tls, TlsPolicy::may);
  EXPECT_TRUE(entry->tls_inherited);
  EXPECT_EQ(entry->auth, "");
  EXPECT_FALSE(entry->max_connections);
  EXPECT_EQ(entry->action, TransportAction::deliver);
  EXPECT_EQ(entry->reason, "");
  EXPECT_EQ(entry->file, "t.toml");
}

TEST(TransportConfig, ImplicitTlsDefaultsToVerifyOnPort465) {
  auto config = parse_ok(R"(
[transport]
"a.example" = { host = "smtp.a.example", implicit_tls = true }
"b.example" = { host = "smtp.b.example:4650", tls = "encrypt", implicit_tls = true }
"c.example" = { host = "smtp.c.example", implicit_tls = false }
)");
  const auto& entries = config.transport.entries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_TRUE(entries[0].implicit_tls);
  EXPECT_EQ(entries[0].tls, TlsPolicy::verify);
  EXPECT_EQ(entries[0].port, 465);
  EXPECT_TRUE(entries[1].implicit_tls);
  EXPECT_EQ(entries[1].tls, TlsPolicy::encrypt);
  EXPECT_EQ(entries[1].port, 4650);
  EXPECT_FALSE(entries[2].implicit_tls);
  EXPECT_EQ(entries[2].tls, TlsPolicy::may);
  EXPECT_FALSE(entries[2].port);
}

TEST(TransportConfig, DanePoliciesAreAccepted) {
  auto config = parse_ok(
      "[delivery]\ntls = \"dane\"\n"
      "[transport]\n\"a.example\" = { tls = \"dane-only\" }\n");
  EXPECT_EQ(config.delivery.tls, TlsPolicy::dane);
  EXPECT_EQ(config.transport.match("a.example")->tls, TlsPolicy::dane_only);
}

TEST(TransportConfig, TlsIsInheritedFromDelivery) {
  auto config = parse_ok(
      "[delivery]\ntls = \"encrypt\"\n"
      "[transport]\n\"a.example\" = {}\n\"b.example\" = { tls = \"none\" }\n");
  EXPECT_EQ(config.delivery.tls, TlsPolicy::encrypt);
  EXPECT_EQ(config.transport.match("a.example")->tls, TlsPolicy::encrypt);
  EXPECT_TRUE(config.transport.match("a.example")->tls_inherited);
  EXPECT_EQ(config.transport.match("b.example")->tls, TlsPolicy::none);
  EXPECT_FALSE(config.transport.match("b.example")->tls_inherited);
}

TEST(TransportConfig, EverySupportedTlsPolicyName) {
  for (auto policy : {TlsPolicy::none, TlsPolicy::may, TlsPolicy::encrypt, TlsPolicy::verify}) {
    auto name = std::string(tls_policy_name(policy));
    auto config = parse_ok("[delivery]\ntls = \"" + name + "\"\n");
    EXPECT_EQ(config.delivery.tls, policy) << name;
  }
}

TEST(TransportConfig, DefaultReasonPerAction) {
  auto config = parse_ok(R"([transport]
"d.example" = { action = "defer" }
"h.example" = { action = "hold" }
"r.example" = { action = "reject" }
"ok.example" = { action = "deliver" }
)");
  struct Row {
    const char* domain;
    TransportAction action;
    const char* reason;
  } rows[] = {
      {"d.example", TransportAction::defer,
       "delivery to this domain is deferred by the relay's transport map"},
      {"h.example", TransportAction::hold,
       "mail for this domain is held by the relay's transport map"},
      {"r.example", TransportAction::reject, "mail for this domain is not accepted by this relay"},
      {"ok.example", TransportAction::deliver, ""},
  };
  for (const auto& row : rows) {
    const auto* entry = config.transport.match(row.domain);
    ASSERT_NE(entry, nullptr) << row.domain;
    EXPECT_EQ(entry->action, row.action) << row.domain;
    EXPECT_EQ(entry->reason, row.reason) << row.domain;
  }
  EXPECT_EQ(transport_action_name(TransportAction::reject), "reject");
  EXPECT_EQ(tls_policy_name(TlsPolicy::dane_only), "dane-only");
}

TEST(TransportConfig, MaxHops) {
  EXPECT_EQ(parse_ok("[server]\nmax_hops = 1\n").server.max_hops, 1u);
  EXPECT_EQ(parse_ok("[server]\nmax_hops = 500\n").server.max_hops, 500u);
}

class TransportFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxrelay-transport-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "sub");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text,
                 fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    fs::permissions(path, mode);
    return path;
  }

  std::vector<std::string> errors(const fs::path& main) {
    auto config = load_config(main);
    std::vector<std::string> out;
    if (!config)
      for (const auto& error : config.error()) out.push_back(error.str());
    return out;
  }

  fs::path dir_;
};

TEST_F(TransportFiles, TransportFileIsRelativeToTheMainConfig) {
  write("sub/routes.toml",
        "# routes\n[transport]\n\"outlook.com\" = { host = "
        "\"outlook-com.olc.protection.outlook.com\" }\n");
  auto main = write("relay.toml",
                    "transport_file = \"sub/routes.toml\"\n"
                    "[transport]\n\"corp.example\" = { host = \"gw.corp.example\" }\n");
  auto config = load_config(main);
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->transport_file, dir_ / "sub/routes.toml");
  ASSERT_EQ(config->transport.entries().size(), 2u);
  EXPECT_EQ(config->transport.entries()[0].where(), main.string() + ":3:1");
  const auto* outlook = config->transport.match("Outlook.com");
  ASSERT_NE(outlook, nullptr);
  EXPECT_EQ(outlook->name, "outlook-com.olc.protection.outlook.com");
  EXPECT_EQ(outlook->where(), (dir_ / "sub/routes.toml").string() + ":3:1");
}

TEST_F(TransportFiles, KeyInBothFilesIsAnErrorAtTheSecondNamingTheFirst) {
  auto routes = write("routes.toml", "[transport]\n\n\"Outlook.com\" = { mx = \"x.example\" }\n");
  auto main = write("relay.toml",
                    "transport_file = \"routes.toml\"\n"
                    "[transport]\n\"outlook.com\" = { host = \"gw.example\" }\n");
  EXPECT_EQ(errors(main),
            std::vector<std::string>{routes.string() +
                                     ":3:1: transport.\"Outlook.com\": already defined as "
                                     "\"outlook.com\" at " +
                                     main.string() + ":3:1"});
}

TEST_F(TransportFiles, TransportFileErrorsComeAfterTheMainFileWithTheirOwnName) {
  auto routes =
      write("routes.toml", "[server]\nmax_hops = 2\n[transport]\n\"a.example\" = { port = 0 }\n");
  auto main = write("relay.toml", "transport_file = \"routes.toml\"\n[server]\nmax_hops = 0\n");
  EXPECT_EQ(errors(main),
            (std::vector<std::string>{
                main.string() + ":3:12: server.max_hops: 0 is out of range (1..500)",
                routes.string() + ":1:2: server: unknown table",
                routes.string() + ":4:24: transport.\"a.example\".port: 0 is out of range "
                                  "(1..65535)"}));
}

TEST_F(TransportFiles, TransportFileSyntaxError) {
  auto routes = write("routes.toml", "[transport]\n\"a.example\" = {\n");
  auto main = write("relay.toml", "transport_file = \"routes.toml\"\n");
  auto found = errors(main);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_TRUE(found[0].starts_with(routes.string() + ":2:")) << found[0];
}

TEST_F(TransportFiles, PasswordFileReadableByOthersIsRefused) {
  auto secret = write("relay.pw", "s3cret\n",
                      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                          fs::perms::others_read);
  auto main = write("relay.toml", "[auth.corp]\nusername = \"u\"\npassword_file = \"relay.pw\"\n");
  EXPECT_EQ(errors(main),
            std::vector<std::string>{main.string() + ":3:17: auth.corp.password_file: " +
                                     secret.string() + " is readable by others (chmod 600)"});
}

TEST_F(TransportFiles, PasswordFileWritableByGroupIsRefused) {
  auto secret = write("relay.pw", "s3cret\n",
                      fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_write);
  auto main = write("relay.toml", "[auth.corp]\nusername = \"u\"\npassword_file = \"relay.pw\"\n");
  EXPECT_EQ(errors(main),
            std::vector<std::string>{main.string() + ":3:17: auth.corp.password_file: " +
                                     secret.string() + " is writable by others (chmod 600)"});
}

TEST_F(TransportFiles, PasswordFileWithEmptyFirstLineIsRefused) {
  auto secret = write("relay.pw", "\nsecond line\n");
  auto main = write("relay.toml", "[auth.corp]\nusername = \"u\"\npassword_file = \"relay.pw\"\n");
  EXPECT_EQ(errors(main),
            std::vector<std::string>{main.string() + ":3:17: auth.corp.password_file: " +
                                     secret.string() + " has an empty first line"});
}

TEST_F(TransportFiles, PasswordFileOwnerOnlyIsAcceptedAndItsFirstLineRead) {
  struct Row {
    const char* content;
    const char* password;
  } rows[] = {
      {"s3cret\n", "s3cret"}, {"s3cret", "s3cret"}, {"pass word\r\nignored\n", "pass word"}};
  for (const auto& row : rows) {
    auto secret = write("sub/relay.pw", row.content);
    auto main = write("relay.toml",
                      "[auth.corp]\nusername = \"relay@corp.example\"\n"
                      "password_file = \"sub/relay.pw\"\n"
                      "[transport]\n\".corp.example\" = { host = \"gw.corp.example\", auth = "
                      "\"corp\" }\n");
    auto config = load_config(main);
    ASSERT_TRUE(config) << config.error().front().str();
    const auto& credentials = config->auth.at("corp");
    EXPECT_EQ(credentials.username, "relay@corp.example");
    EXPECT_EQ(credentials.password, row.password);
    EXPECT_EQ(credentials.password_file, secret);
    EXPECT_EQ(config->transport.match("a.corp.example")->auth, "corp");
  }
}

TEST_F(TransportFiles, AuthWithoutRequiredTlsIsAWarningNotAnError) {
  write("relay.pw", "s3cret\n");
  auto main = write("relay.toml",
                    "[auth.isp]\nusername = \"relay\"\npassword_file = \"relay.pw\"\n"
                    "[transport]\n"
                    "\"none.example\" = { host = \"smtp.isp.example\", auth = \"isp\", tls = "
                    "\"none\" }\n"
                    "\"may.example\" = { host = \"smtp.isp.example\", auth = \"isp\" }\n"
                    "\"encrypt.example\" = { host = \"smtp.isp.example\", auth = \"isp\", tls = "
                    "\"encrypt\" }\n"
                    "\"implicit.example\" = { host = \"smtp.isp.example\", auth = \"isp\", "
                    "implicit_tls = true }\n"
                    "\"paused.example\" = { host = \"smtp.isp.example\", auth = \"isp\", action = "
                    "\"hold\" }\n");
  auto config = load_config(main);
  ASSERT_TRUE(config) << config.error().front().str();
  std::vector<std::string> warnings;
  for (const auto& warning : config_warnings(*config)) warnings.push_back(warning.str());
  const auto file = main.string();
  EXPECT_EQ(warnings,
            (std::vector<std::string>{
                file + ":5:1: warning: transport entry \"none.example\" uses auth = \"isp\" "
                       "with tls = \"none\"; credentials are sent only over TLS, so its mail is "
                       "always deferred (set tls = \"encrypt\" or \"verify\")",
                file + ":6:1: warning: transport entry \"may.example\" uses auth = \"isp\" "
                       "with tls = \"may\"; credentials are sent only over TLS, so its mail is "
                       "deferred whenever the host does not offer STARTTLS (set tls = "
                       "\"encrypt\" or \"verify\")"}));
}

TEST_F(TransportFiles, ShippedTransportMapLoads) {
  auto main = write("relay.toml",
                    std::string("transport_file = \"") + MXRELAY_SHIPPED_TRANSPORT_MAP + "\"\n");
  auto config = load_config(main);
  ASSERT_TRUE(config) << config.error().front().str();
  struct Row {
    const char* domain;
    NextHopKind kind;
    const char* name;
  } rows[] = {
      {"outlook.com", NextHopKind::host, "outlook-com.olc.protection.outlook.com"},
      {"hotmail.com", NextHopKind::host, "hotmail-com.olc.protection.outlook.com"},
      {"live.com", NextHopKind::host, "live-com.olc.protection.outlook.com"},
      {"msn.com", NextHopKind::host, "msn-com.olc.protection.outlook.com"},
      {"mail.corp.example", NextHopKind::host, "mailgw.corp.example"},
      {"partner.example", NextHopKind::mx, "mx-relay.partner.example"},
      {"gmail.com", NextHopKind::recipient_mx, ""},
  };
  for (const auto& row : rows) {
    const auto* entry = config->transport.match(row.domain);
    ASSERT_NE(entry, nullptr) << row.domain;
    EXPECT_EQ(entry->kind, row.kind) << row.domain;
    EXPECT_EQ(entry->name, row.name) << row.domain;
    EXPECT_EQ(entry->action, TransportAction::deliver) << row.domain;
  }
  EXPECT_EQ(config->transport.match("mail.corp.example")->tls, TlsPolicy::verify);
  EXPECT_EQ(config->transport.match("mail.corp.example")->port, 2525);
  EXPECT_EQ(config->transport.match("corp.example")->key, "*");
  EXPECT_EQ(config->transport.match("outlook.com")->tls, TlsPolicy::may);
}

}  // namespace
}  // namespace mxrelay::conf
