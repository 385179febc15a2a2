// Tests for the listener, delivery, queue and log keys: values that load, the files they
// name (certificate, key, credentials, CA bundle), their cross-checks, and each error's text.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ConfigKeys, ValuesLoad) {
  auto config = parse_config(R"(
[server]
tls_ciphers = "ECDHE-RSA-AES128-GCM-SHA256"
tls_ciphersuites = "TLS_AES_128_GCM_SHA256"
auth_max_failures = 1000
auth_failure_window = "1h"
max_connections = 50
max_connections_per_client = 5
max_connections_untrusted = 20
pregreet_wait = "0"
timeout = "90s"
command_timeout = "1m"
data_timeout = "2h"
tls_handshake_timeout = "10s"
shutdown_grace = "2s"
[queue]
delay_warning = "0"
postmaster = "Postmaster@Relay.Example."
[delivery]
address_literals = "deliver"
health_failure_threshold = 1
health_cool_down = "30s"
max_messages_per_connection = 1
max_connections = 10000
max_connections_per_destination = 2
connection_idle_time = "1m"
use_bdat = false
mta_sts = false
source_ipv4 = "127.0.0.77"
source_ipv6 = "::1"
[log]
format = "json"
)",
                             "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->server.tls_ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(config->server.tls_ciphersuites, "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(config->server.auth_max_failures, 1000u);
  EXPECT_EQ(config->server.auth_failure_window, hours(1));
  EXPECT_EQ(config->server.max_connections, 50u);
  EXPECT_EQ(config->server.max_connections_per_client, 5u);
  EXPECT_EQ(config->server.untrusted_connection_limit(), 20u);
  EXPECT_EQ(config->server.pregreet_wait, seconds(0));
  EXPECT_EQ(config->server.timeout, seconds(90));
  EXPECT_EQ(config->server.command_timeout, minutes(1));
  EXPECT_EQ(config->server.data_timeout, hours(2));
  EXPECT_EQ(config->server.tls_handshake_timeout, seconds(10));
  EXPECT_EQ(config->server.shutdown_grace, seconds(2));
  EXPECT_EQ(config->queue.delay_warning, seconds(0));
  EXPECT_EQ(config->queue.postmaster, "Postmaster@relay.example");
  EXPECT_EQ(config->delivery.address_literals, AddressLiterals::deliver);
  EXPECT_EQ(config->delivery.health_failure_threshold, 1u);
  EXPECT_EQ(config->delivery.health_cool_down, seconds(30));
  EXPECT_EQ(config->delivery.max_messages_per_connection, 1u);
  EXPECT_EQ(config->delivery.max_connections, 10000u);
  EXPECT_EQ(config->delivery.max_connections_per_destination, 2u);
  EXPECT_EQ(config->delivery.connection_idle_time, minutes(1));
  EXPECT_FALSE(config->delivery.use_bdat);
  EXPECT_FALSE(config->delivery.mta_sts);
  EXPECT_EQ(config->delivery.source_ipv4, core::IpAddress::parse("127.0.0.77"));
  EXPECT_EQ(config->delivery.source_ipv6, core::IpAddress::parse("::1"));
  EXPECT_EQ(config->log.format, core::LogFormat::json);
}

TEST(ConfigKeys, EmptyFilesAndAddressesMeanOff) {
  auto config = parse_config(
      "[server]\ntls_cert_file = \"\"\ntls_key_file = \"\"\ncredentials_file = \"\"\n"
      "require_tls = false\n[queue]\npostmaster = \"\"\ndelay_warning = \"0s\"\n"
      "[delivery]\ntls_ca_file = \"\"\nsource_ipv4 = \"\"\nsource_ipv6 = \"\"\n",
      "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->server.tls_cert_file, "");
  EXPECT_EQ(config->server.credentials_file, "");
  EXPECT_EQ(config->queue.postmaster, "");
  EXPECT_EQ(config->queue.delay_warning, seconds(0));
  EXPECT_EQ(config->delivery.tls_ca_file, "");
  EXPECT_FALSE(config->delivery.source_ipv4);
  EXPECT_FALSE(config->delivery.source_ipv6);
}

TEST(ConfigKeys, BareNewlinesNormalizeForListedClients) {
  auto config = parse_config(
      "[server]\nbare_newlines = \"normalize\"\n"
      "bare_newlines_from = [\"192.0.2.0/24\", \"2001:db8::7\"]\n",
      "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->server.bare_newlines, BareNewlines::normalize);
  ASSERT_EQ(config->server.bare_newlines_from.size(), 2u);
  EXPECT_EQ(config->server.bare_newlines_from[0].str(), "192.0.2.0/24");
  EXPECT_EQ(config->server.bare_newlines_from[1].str(), "2001:db8::7/128");

  auto strict =
      parse_config("[server]\nbare_newlines = \"reject\"\nbare_newlines_from = []\n", "t.toml");
  ASSERT_TRUE(strict) << strict.error().front().str();
  EXPECT_EQ(strict->server.bare_newlines, BareNewlines::reject);
  EXPECT_TRUE(strict->server.bare_newlines_from.empty());
}

TEST(ConfigKeys, BareNewlinesErrors) {
  check({
      {"normalize without clients",
       "[server]\nbare_newlines = \"normalize\"\n",
       {"t.toml:2:17: server.bare_newlines: \"normalize\" needs server.bare_newlines_from (the "
        "legacy clients it applies to; everyone else keeps \"reject\")"}},
      {"normalize with an empty list",
       "[server]\nbare_newlines = \"normalize\"\nbare_newlines_from = []\n",
       {"t.toml:2:17: server.bare_newlines: \"normalize\" needs server.bare_newlines_from (the "
        "legacy clients it applies to; everyone else keeps \"reject\")"}},
      {"clients without normalize",
       "[server]\nbare_newlines_from = [\"192.0.2.1\"]\n",
       {"t.toml:2:22: server.bare_newlines_from: has no effect unless server.bare_newlines = "
        "\"normalize\""}},
      {"clients with reject",
       "[server]\nbare_newlines = \"reject\"\nbare_newlines_from = [\"192.0.2.1\"]\n",
       {"t.toml:3:22: server.bare_newlines_from: has no effect unless server.bare_newlines = "
        "\"normalize\""}},
      {"unknown mode (reported once)",
       "[server]\nbare_newlines = \"accept\"\nbare_newlines_from = [\"192.0.2.1\"]\n",
       {"t.toml:2:17: server.bare_newlines: invalid value \"accept\" (use reject or normalize)"}},
      {"invalid network (reported once)",
       "[server]\nbare_newlines = \"normalize\"\nbare_newlines_from = [\"192.0.2.1/33\"]\n",
       {"t.toml:3:23: server.bare_newlines_from: invalid network \"192.0.2.1/33\" (use an IP "
        "address or address/prefix)"}},
      {"wrong type",
       "[server]\nbare_newlines = true\n",
       {"t.toml:2:17: server.bare_newlines: expected a string, got a boolean"}},
  });
}

TEST(ConfigKeys, ServerErrors) {
  check({
      {"require_tls without a certificate",
       "[server]\nrequire_tls = true\n",
       {"t.toml:2:15: server.require_tls: needs server.tls_cert_file and server.tls_key_file"}},
      {"credentials without a certificate",
       "[server]\ncredentials_file = \"users\"\n",
       {"t.toml:2:20: server.credentials_file: needs server.tls_cert_file and "
        "server.tls_key_file (AUTH is offered over TLS only)"}},
      {"missing certificate file",
       "[server]\ntls_cert_file = \"/nonexistent/cert.pem\"\ntls_key_file = \"/nonexistent/k\"\n",
       {"t.toml:2:17: server.tls_cert_file: \"/nonexistent/cert.pem\" does not exist",
        "t.toml:3:16: server.tls_key_file: \"/nonexistent/k\" does not exist"}},
      {"certificate that is a folder",
       "[server]\ntls_cert_file = \"/\"\ntls_key_file = \"/\"\n",
       {"t.toml:2:17: server.tls_cert_file: \"/\" is not a regular file",
        "t.toml:3:16: server.tls_key_file: \"/\" is not a regular file"}},
      {"empty ciphers",
       "[server]\ntls_ciphers = \"\"\ntls_ciphersuites = \"\"\n",
       {"t.toml:2:15: server.tls_ciphers: must not be empty",
        "t.toml:3:20: server.tls_ciphersuites: must not be empty"}},
      {"require_tls type",
       "[server]\nrequire_tls = \"yes\"\n",
       {"t.toml:2:15: server.require_tls: expected a boolean, got a string"}},
      {"auth_max_failures zero",
       "[server]\nauth_max_failures = 0\n",
       {"t.toml:2:21: server.auth_max_failures: 0 is out of range (1..1000)"}},
      {"auth_max_failures too large",
       "[server]\nauth_max_failures = 1001\n",
       {"t.toml:2:21: server.auth_max_failures: 1001 is out of range (1..1000)"}},
      {"auth_failure_window zero",
       "[server]\nauth_failure_window = \"0\"\n",
       {"t.toml:2:23: server.auth_failure_window: duration must be greater than zero"}},
      {"max_connections zero",
       "[server]\nmax_connections = 0\n",
       {"t.toml:2:19: server.max_connections: 0 is out of range (at least 1)"}},
      {"max_connections_per_client zero",
       "[server]\nmax_connections_per_client = 0\n",
       {"t.toml:2:30: server.max_connections_per_client: 0 is out of range (at least 1)"}},
      {"more untrusted connections than in total",
       "[server]\nmax_connections = 10\nmax_connections_untrusted = 11\n",
       {"t.toml:3:29: server.max_connections_untrusted: 11 is out of range (0..10)"}},
      {"timeout",
       "[server]\ntimeout = \"5 min\"\n",
       {"t.toml:2:11: server.timeout: invalid duration \"5 min\" (use a number and one of s, m, "
        "h, d)"}},
      {"shutdown_grace",
       "[server]\nshutdown_grace = \"soon\"\n",
       {"t.toml:2:18: server.shutdown_grace: invalid duration \"soon\" (use a number and one of "
        "s, m, h, d)"}},
  });
}

TEST(ConfigKeys, QueueDeliveryAndLogErrors) {
  check({
      {"delay_warning",
       "[queue]\ndelay_warning = \"-1h\"\n",
       {"t.toml:2:17: queue.delay_warning: invalid duration \"-1h\" (use a number and one of s, "
        "m, h, d)"}},
      {"delay_warning too long",
       "[queue]\ndelay_warning = \"3651d\"\n",
       {"t.toml:2:17: queue.delay_warning: duration \"3651d\" is too long (at most 3650d)"}},
      {"postmaster without domain",
       "[queue]\npostmaster = \"postmaster\"\n",
       {"t.toml:2:14: queue.postmaster: invalid address \"postmaster\" (use local@domain, or "
        "\"\" to drop failed DSNs)"}},
      {"postmaster in angle brackets",
       "[queue]\npostmaster = \"<pm@relay.example>\"\n",
       {"t.toml:2:14: queue.postmaster: invalid address \"<pm@relay.example>\" (use "
        "local@domain, or \"\" to drop failed DSNs)"}},
      {"address_literals",
       "[delivery]\naddress_literals = \"allow\"\n",
       {"t.toml:2:20: delivery.address_literals: invalid value \"allow\" (use refuse or deliver)"}},
      {"tls_ca_file missing",
       "[delivery]\ntls_ca_file = \"/nonexistent/ca.pem\"\n",
       {"t.toml:2:15: delivery.tls_ca_file: \"/nonexistent/ca.pem\" does not exist"}},
      {"health_failure_threshold zero",
       "[delivery]\nhealth_failure_threshold = 0\n",
       {"t.toml:2:28: delivery.health_failure_threshold: 0 is out of range (1..1000)"}},
      {"health_cool_down",
       "[delivery]\nhealth_cool_down = \"0s\"\n",
       {"t.toml:2:20: delivery.health_cool_down: duration must be greater than zero"}},
      {"max_messages_per_connection zero",
       "[delivery]\nmax_messages_per_connection = 0\n",
       {"t.toml:2:31: delivery.max_messages_per_connection: 0 is out of range (at least 1)"}},
      {"max_connections too large",
       "[delivery]\nmax_connections = 10001\n",
       {"t.toml:2:19: delivery.max_connections: 10001 is out of range (1..10000)"}},
      {"max_connections_per_destination zero",
       "[delivery]\nmax_connections_per_destination = 0\n",
       {"t.toml:2:35: delivery.max_connections_per_destination: 0 is out of range (1..10000)"}},
      {"connection_idle_time",
       "[delivery]\nconnection_idle_time = 5\n",
       {"t.toml:2:24: delivery.connection_idle_time: expected a string, got an integer"}},
      {"use_bdat",
       "[delivery]\nuse_bdat = \"yes\"\n",
       {"t.toml:2:12: delivery.use_bdat: expected a boolean, got a string"}},
      {"mta_sts",
       "[delivery]\nmta_sts = 1\n",
       {"t.toml:2:11: delivery.mta_sts: expected a boolean, got an integer"}},
      {"source_ipv4 not an address",
       "[delivery]\nsource_ipv4 = \"mx.example\"\n",
       {"t.toml:2:15: delivery.source_ipv4: invalid IPv4 address \"mx.example\" (or \"\" to "
        "let the kernel choose)"}},
      {"source_ipv4 of the other family",
       "[delivery]\nsource_ipv4 = \"::1\"\n",
       {"t.toml:2:15: delivery.source_ipv4: invalid IPv4 address \"::1\" (or \"\" to let the "
        "kernel choose)"}},
      {"source_ipv6 of the other family",
       "[delivery]\nsource_ipv6 = \"127.0.0.1\"\n",
       {"t.toml:2:15: delivery.source_ipv6: invalid IPv6 address \"127.0.0.1\" (or \"\" to "
        "let the kernel choose)"}},
      {"source_ipv6 with a prefix",
       "[delivery]\nsource_ipv6 = \"2001:db8::/64\"\n",
       {"t.toml:2:15: delivery.source_ipv6: invalid IPv6 address \"2001:db8::/64\" (or \"\" "
        "to let the kernel choose)"}},
      {"source_ipv4 not a string",
       "[delivery]\nsource_ipv4 = 1\n",
       {"t.toml:2:15: delivery.source_ipv4: expected a string, got an integer"}},
      {"log format",
       "[log]\nformat = \"syslog\"\n",
       {"t.toml:2:10: log.format: invalid value \"syslog\" (use text, json or postfix)"}},
      {"log unknown key", "[log]\nlevel = \"debug\"\n", {"t.toml:2:1: log.level: unknown key"}},
  });
}

// Files named by the configuration, in a folder of their own next to the main file.
class ConfigKeyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxrelay-config-keys-test-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "tls");
    write("tls/cert.pem", "certificate\n");
    write("tls/key.pem", "key\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text,
                 fs::perms mode = fs::perms::owner_read | fs::perms::owner_write) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    fs::permissions(path, mode);
    return path;
  }

  ConfigResult load(const std::string& text) { return load_config(write("relay.toml", text)); }

  std::vector<std::string> errors(const std::string& text) {
    auto config = load(text);
    std::vector<std::string> out;
    if (!config)
      for (const auto& error : config.error()) out.push_back(error.str());
    return out;
  }

  std::string main() const { return (dir_ / "relay.toml").string(); }

  fs::path dir_;
};

constexpr const char* kCertificate =
    "[server]\ntls_cert_file = \"tls/cert.pem\"\ntls_key_file = \"tls/key.pem\"\n";

TEST_F(ConfigKeyFiles, FilesAreRelativeToTheConfigFile) {
  write("users", "");
  write("ca.pem", "ca\n");
  auto config = load(std::string(kCertificate) +
                     "require_tls = true\ncredentials_file = \"users\"\n"
                     "[delivery]\ntls_ca_file = \"ca.pem\"\n");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->server.tls_cert_file, dir_ / "tls/cert.pem");
  EXPECT_EQ(config->server.tls_key_file, dir_ / "tls/key.pem");
  EXPECT_TRUE(config->server.require_tls);
  EXPECT_EQ(config->server.credentials_file, dir_ / "users");
  EXPECT_EQ(config->delivery.tls_ca_file, dir_ / "ca.pem");
}

TEST_F(ConfigKeyFiles, CertificateAndKeyGoTogether) {
  EXPECT_EQ(errors("[server]\ntls_cert_file = \"tls/cert.pem\"\n"),
            std::vector<std::string>{main() +
                                     ":2:17: server.tls_cert_file: needs server.tls_key_file too "
                                     "(set both or neither)"});
  EXPECT_EQ(errors("[server]\ntls_key_file = \"tls/key.pem\"\ntls_cert_file = \"\"\n"),
            std::vector<std::string>{main() +
                                     ":2:16: server.tls_key_file: needs server.tls_cert_file too "
                                     "(set both or neither)"});
}

TEST_F(ConfigKeyFiles, CredentialsFileMustBeOwnerOnly) {
  auto users = write("users", "u:hash\n",
                     fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  EXPECT_EQ(errors(std::string(kCertificate) + "credentials_file = \"users\"\n"),
            std::vector<std::string>{main() + ":4:20: server.credentials_file: " + users.string() +
                                     " is readable by others (chmod 600)"});
}

TEST_F(ConfigKeyFiles, CredentialsFileMustExist) {
  EXPECT_EQ(errors(std::string(kCertificate) + "credentials_file = \"nobody\"\n"),
            std::vector<std::string>{main() + ":4:20: server.credentials_file: cannot read " +
                                     (dir_ / "nobody").string() + ": No such file or directory"});
}

}  // namespace
}  // namespace mxrelay::conf
