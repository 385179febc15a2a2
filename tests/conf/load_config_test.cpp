// Tests for conf::load_config and parse_config on valid input: a full round trip, the
// shipped reference config, and files that cannot be read.
#include "conf/load_config.hpp"
#include "conf/default_config.hpp"
#include "conf/text_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

namespace mxrelay::conf {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr const char* kFullConfig = R"(
[server]
listen = ["127.0.0.1:2525", "[::1]:2526"]
hostname = "Relay.Example.NET."
relay_networks = ["10.0.0.0/8", "192.0.2.7", "2001:db8::/32"]
max_message_size = "10MB"
max_recipients = 250

[queue]
dir = "/var/spool/mxrelay"
retry_intervals = ["90s", "15m", "2h"]
max_age = "3d"

[dns]
forwarders = ["127.0.0.53", "::1@5353"]
query_timeout = "20s"
dnssec = false
trust_anchor_file = ""
mx_required = ["Outlook.COM", "example.org."]

[[dns.stub]]
zone = "example.com"
servers = ["127.0.0.1@5353", "127.0.0.2"]

[[dns.stub]]
zone = "corp.example"
servers = ["::1@5300"]

[dns.unbound_options]
"outgoing-range" = "64"
"edns-buffer-size" = "1232"
"do-not-query-localhost" = "no"

[delivery]
port = 2525
ip_version = "prefer-ipv6"
max_addresses = 12
helo_name = "out.example.net"
connect_timeout = "10s"
greeting_timeout = "1m"
command_timeout = "2m"
data_timeout = "3m"
data_block_timeout = "4m"
final_dot_timeout = "1h"

[metrics]
listen = "[::1]:9100"
)";

TEST(ParseConfig, FullConfigRoundTrip) {
  auto config = parse_config(kFullConfig, "full.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  const auto& server = config->server;
  ASSERT_EQ(server.listen.size(), 2u);
  EXPECT_EQ(server.listen[0].str(), "127.0.0.1:2525");
  EXPECT_EQ(server.listen[1].str(), "[::1]:2526");
  EXPECT_EQ(server.hostname, "relay.example.net");
  ASSERT_EQ(server.relay_networks.size(), 3u);
  EXPECT_EQ(server.relay_networks[0].str(), "10.0.0.0/8");
  EXPECT_EQ(server.relay_networks[1].str(), "192.0.2.7/32");
  EXPECT_EQ(server.relay_networks[2].str(), "2001:db8::/32");
  EXPECT_EQ(server.max_message_size, 10'000'000u);
  EXPECT_EQ(server.max_recipients, 250u);

  EXPECT_EQ(config->queue.dir, "/var/spool/mxrelay");
  EXPECT_EQ(config->queue.retry_intervals,
            (std::vector<seconds>{seconds(90), minutes(15), hours(2)}));
  EXPECT_EQ(config->queue.max_age, hours(72));

  const auto& dns = config->dns;
  EXPECT_EQ(dns.forwarders, (std::vector<std::string>{"127.0.0.53", "::1@5353"}));
  EXPECT_EQ(dns.query_timeout, milliseconds(20'000));
  EXPECT_FALSE(dns.dnssec);
  EXPECT_EQ(dns.trust_anchor_file, "");
  EXPECT_EQ(dns.mx_required, (std::vector<std::string>{"outlook.com", "example.org"}));
  ASSERT_EQ(dns.stubs.size(), 2u);
  EXPECT_EQ(dns.stubs[0].zone, "example.com");
  EXPECT_EQ(dns.stubs[0].servers, (std::vector<std::string>{"127.0.0.1@5353", "127.0.0.2"}));
  EXPECT_EQ(dns.stubs[1].zone, "corp.example");
  EXPECT_EQ(dns.stubs[1].servers, std::vector<std::string>{"::1@5300"});
  using Option = std::pair<std::string, std::string>;
  EXPECT_EQ(dns.unbound_options, (std::vector<Option>{{"outgoing-range", "64"},
                                                      {"edns-buffer-size", "1232"},
                                                      {"do-not-query-localhost", "no"}}));

  const auto& delivery = config->delivery;
  EXPECT_EQ(delivery.port, 2525);
  EXPECT_EQ(delivery.ip_version, IpVersion::prefer_ipv6);
  EXPECT_EQ(delivery.max_addresses, 12u);
  EXPECT_EQ(delivery.helo_name, "out.example.net");
  EXPECT_EQ(delivery.connect_timeout, seconds(10));
  EXPECT_EQ(delivery.greeting_timeout, minutes(1));
  EXPECT_EQ(delivery.command_timeout, minutes(2));
  EXPECT_EQ(delivery.data_timeout, minutes(3));
  EXPECT_EQ(delivery.data_block_timeout, minutes(4));
  EXPECT_EQ(delivery.final_dot_timeout, hours(1));

  EXPECT_EQ(config->metrics.listen, "[::1]:9100");
  EXPECT_EQ(config->source, "full.toml");
}

TEST(ParseConfig, EveryIpVersion) {
  struct Row {
    const char* text;
    IpVersion expected;
  } rows[] = {{"any", IpVersion::any},
              {"ipv4", IpVersion::ipv4},
              {"ipv6", IpVersion::ipv6},
              {"prefer-ipv4", IpVersion::prefer_ipv4},
              {"prefer-ipv6", IpVersion::prefer_ipv6}};
  for (const auto& row : rows) {
    auto config =
        parse_config(std::string("[delivery]\nip_version = \"") + row.text + "\"\n", "v.toml");
    ASSERT_TRUE(config) << row.text;
    EXPECT_EQ(config->delivery.ip_version, row.expected) << row.text;
  }
}

TEST(ParseConfig, AlternativeValueForms) {
  auto config = parse_config(
      "[server]\nmax_message_size = 1048576\n"
      "[dns]\nmx_required = []\n"
      "[metrics]\nlisten = \"\"\n",
      "forms.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->server.max_message_size, 1048576u);
  EXPECT_TRUE(config->dns.mx_required.empty());
  EXPECT_EQ(config->metrics.listen, "");
}

TEST(ParseConfig, InlineTablesWork) {
  auto config = parse_config("server = { max_recipients = 7 }\n", "inline.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->server.max_recipients, 7u);
}

TEST(LoadConfig, ReferenceConfigLoadsWithDefaults) {
  auto config = load_config(MXRELAY_REFERENCE_CONFIG);
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->source, MXRELAY_REFERENCE_CONFIG);
  EXPECT_EQ(config->server.listen.at(0).str(), "127.0.0.1:2525");
  EXPECT_EQ(config->queue.dir, "var/spool");
  EXPECT_TRUE(config->dns.forwarders.empty());
  EXPECT_TRUE(config->dns.stubs.empty());
  EXPECT_EQ(config->metrics.listen, "127.0.0.1:9464");
  EXPECT_EQ(config->server.max_message_size, 50u * 1024 * 1024);
  // The long values written out in the reference are the built-in defaults.
  const Config defaults = default_config();
  EXPECT_EQ(config->server.tls_ciphers, defaults.server.tls_ciphers);
  EXPECT_EQ(config->server.tls_ciphersuites, defaults.server.tls_ciphersuites);
  EXPECT_EQ(config->queue.delay_warning, defaults.queue.delay_warning);
  EXPECT_EQ(config->delivery.connection_idle_time, defaults.delivery.connection_idle_time);
  EXPECT_EQ(config->log.format, defaults.log.format);
}

class LoadConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mxrelay-conf-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(LoadConfigFile, ReadsFileAndNamesItInErrors) {
  auto file = dir_ / "relay.toml";
  std::ofstream(file) << "[delivery]\nport = 0\n";
  auto config = load_config(file);
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 1u);
  EXPECT_EQ(config.error()[0].str(),
            file.string() + ":2:8: delivery.port: 0 is out of range (1..65535)");
}

TEST_F(LoadConfigFile, SetsSourceToThePath) {
  auto file = dir_ / "ok.toml";
  std::ofstream(file) << "[delivery]\nport = 26\n";
  auto config = load_config(file);
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->source, file);
  EXPECT_EQ(config->delivery.port, 26);
}

TEST_F(LoadConfigFile, MissingFileIsAnErrorWithoutPosition) {
  auto file = dir_ / "missing.toml";
  auto config = load_config(file);
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 1u);
  EXPECT_EQ(config.error()[0].line, 0);
  EXPECT_EQ(config.error()[0].str(), file.string() + ": cannot read: No such file or directory");
}

TEST_F(LoadConfigFile, DirectoryIsAnErrorWithoutPosition) {
  auto config = load_config(dir_);
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 1u);
  EXPECT_EQ(config.error()[0].str(), dir_.string() + ": cannot read: not a regular file");
}

TEST_F(LoadConfigFile, DeviceIsRefusedWithoutReadingIt) {
  auto config = load_config("/dev/zero");
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 1u);
  EXPECT_EQ(config.error()[0].str(), "/dev/zero: cannot read: not a regular file");
}

TEST_F(LoadConfigFile, FileOverTheSizeLimitIsRefused) {
  auto file = dir_ / "huge.toml";
  std::ofstream(file) << "# sparse\n";
  std::filesystem::resize_file(file, kMaxTextFileSize + 1);
  auto config = load_config(file);
  ASSERT_FALSE(config);
  ASSERT_EQ(config.error().size(), 1u);
  EXPECT_EQ(config.error()[0].str(), file.string() + ": cannot read: larger than 64 MiB");
}

TEST(ConfigError, StrWithAndWithoutPosition) {
  EXPECT_EQ((ConfigError{"a.toml", 3, 14, "x: bad"}.str()), "a.toml:3:14: x: bad");
  EXPECT_EQ((ConfigError{"a.toml", 0, 0, "cannot read: denied"}.str()),
            "a.toml: cannot read: denied");
}

}  // namespace
}  // namespace mxrelay::conf
