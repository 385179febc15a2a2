// tests/conf: the [tls_report] section: the values that load, the defaults the reporter
// applies, the reference config's keys, and every refusal with its position.
#include <gtest/gtest.h>

#include <string>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

TEST(TlsReportConfig, ValuesLoadAndDefaultsApply) {
  struct Row {
    const char* toml;
    bool enabled;
    const char* organization;
    const char* contact;
  } rows[] = {
      {"", false, "relay.example", "postmaster@relay.example"},
      {"[tls_report]\nenabled = true\n", true, "relay.example", "postmaster@relay.example"},
      {"[tls_report]\nenabled = true\norganization_name = \"Example Org\"\n"
       "contact = \"TLS@Relay.Example.\"\n",
       true, "Example Org", "TLS@relay.example"},
      {"[tls_report]\norganization_name = \"\"\ncontact = \"\"\n", false, "relay.example",
       "postmaster@relay.example"},
  };
  for (const auto& row : rows) {
    auto config =
        parse_config(std::string("[server]\nhostname = \"relay.example\"\n") + row.toml, "t.toml");
    ASSERT_TRUE(config) << row.toml << ": " << config.error().front().str();
    EXPECT_EQ(config->tls_report.enabled, row.enabled) << row.toml;
    EXPECT_EQ(config->tls_report_organization(), row.organization) << row.toml;
    EXPECT_EQ(config->tls_report_contact(), row.contact) << row.toml;
  }
}

TEST(TlsReportConfig, TheReferenceConfigWritesOutTheDefaults) {
  auto config = load_config(MXRELAY_REFERENCE_CONFIG);
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->tls_report, TlsReportConfig{});
}

TEST(TlsReportConfig, Errors) {
  check({
      {"unknown key", "[tls_report]\nrua = \"x\"\n", {"t.toml:2:1: tls_report.rua: unknown key"}},
      {"enabled of the wrong type",
       "[tls_report]\nenabled = \"yes\"\n",
       {"t.toml:2:11: tls_report.enabled: expected a boolean, got a string"}},
      {"invalid contact",
       "[tls_report]\ncontact = \"nobody\"\n",
       {"t.toml:2:11: tls_report.contact: invalid address \"nobody\" (use local@domain, or \"\" "
        "for postmaster@server.hostname)"}},
      {"organization of the wrong type",
       "[tls_report]\norganization_name = 1\n",
       {"t.toml:2:21: tls_report.organization_name: expected a string, got an integer"}},
  });
}

}  // namespace
}  // namespace mxrelay::conf
