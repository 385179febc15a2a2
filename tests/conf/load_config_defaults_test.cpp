// Tests that every configuration key takes its documented default when it is absent.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/default_config.hpp"
#include "conf/load_config.hpp"

namespace mxrelay::conf {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

std::vector<std::string> texts(const std::vector<core::Cidr>& networks) {
  std::vector<std::string> out;
  for (const auto& network : networks) out.push_back(network.str());
  return out;
}

std::vector<std::string> texts(const std::vector<ListenEndpoint>& endpoints) {
  std::vector<std::string> out;
  for (const auto& endpoint : endpoints) out.push_back(endpoint.str());
  return out;
}

void expect_defaults(const Config& config) {
  EXPECT_EQ(texts(config.server.listen), std::vector<std::string>{"127.0.0.1:2525"});
  EXPECT_EQ(config.server.hostname, default_config().server.hostname);
  EXPECT_FALSE(config.server.hostname.empty());
  EXPECT_EQ(texts(config.server.relay_networks),
            (std::vector<std::string>{"127.0.0.0/8", "::1/128"}));
  EXPECT_EQ(config.server.max_message_size, 50u * 1024 * 1024);
  EXPECT_EQ(config.server.max_recipients, 1000u);
  EXPECT_EQ(config.server.max_hops, 50u);
  EXPECT_EQ(config.server.tls_cert_file, "");
  EXPECT_EQ(config.server.tls_key_file, "");
  EXPECT_EQ(config.server.tls_ciphers,
            "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
            "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:"
            "DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305");
  EXPECT_EQ(config.server.tls_ciphersuites,
            "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_FALSE(config.server.require_tls);
  EXPECT_EQ(config.server.credentials_file, "");
  EXPECT_EQ(config.server.bare_newlines, BareNewlines::reject);
  EXPECT_TRUE(config.server.bare_newlines_from.empty());
  EXPECT_EQ(config.server.auth_max_failures, 5u);
  EXPECT_EQ(config.server.auth_failure_window, minutes(15));
  EXPECT_EQ(config.server.max_connections, 1000u);
  EXPECT_EQ(config.server.max_connections_per_client, 100u);
  EXPECT_EQ(config.server.timeout, minutes(5));
  EXPECT_EQ(config.server.shutdown_grace, seconds(30));

  EXPECT_EQ(config.queue.dir, "var/spool");
  EXPECT_EQ(
      config.queue.retry_intervals,
      (std::vector<seconds>{minutes(5), minutes(10), minutes(30), hours(1), hours(2), hours(4)}));
  EXPECT_EQ(config.queue.max_age, hours(5 * 24));
  EXPECT_EQ(config.queue.delay_warning, hours(4));
  EXPECT_EQ(config.queue.postmaster, "");

  EXPECT_TRUE(config.dns.forwarders.empty());
  EXPECT_TRUE(config.dns.stubs.empty());
  EXPECT_EQ(config.dns.query_timeout, seconds(10));
  EXPECT_TRUE(config.dns.dnssec);
  EXPECT_EQ(config.dns.trust_anchor_file, "/usr/share/dns/root.key");
  EXPECT_TRUE(config.dns.unbound_options.empty());
  EXPECT_EQ(config.dns.mx_required,
            (std::vector<std::string>{"outlook.com", "hotmail.com", "live.com", "msn.com",
                                      "gmail.com", "yahoo.com"}));

  EXPECT_EQ(config.delivery.port, 25);
  EXPECT_EQ(config.delivery.ip_version, IpVersion::any);
  EXPECT_EQ(config.delivery.max_addresses, 5u);
  EXPECT_EQ(config.delivery.tls, TlsPolicy::may);
  EXPECT_EQ(config.delivery.helo_name, "");
  EXPECT_EQ(config.delivery.connect_timeout, seconds(30));
  EXPECT_EQ(config.delivery.greeting_timeout, minutes(5));
  EXPECT_EQ(config.delivery.command_timeout, minutes(5));
  EXPECT_EQ(config.delivery.data_timeout, minutes(2));
  EXPECT_EQ(config.delivery.data_block_timeout, minutes(3));
  EXPECT_EQ(config.delivery.final_dot_timeout, minutes(10));
  EXPECT_EQ(config.delivery.tls_ca_file, "");
  EXPECT_EQ(config.delivery.health_failure_threshold, 3u);
  EXPECT_EQ(config.delivery.health_cool_down, minutes(5));
  EXPECT_EQ(config.delivery.max_messages_per_connection, 100u);
  EXPECT_EQ(config.delivery.max_connections, 20u);
  EXPECT_EQ(config.delivery.max_connections_per_destination, 10u);
  EXPECT_EQ(config.delivery.connection_idle_time, seconds(5));
  EXPECT_TRUE(config.delivery.use_bdat);
  EXPECT_TRUE(config.delivery.mta_sts);
  EXPECT_FALSE(config.delivery.source_ipv4);
  EXPECT_FALSE(config.delivery.source_ipv6);

  EXPECT_EQ(config.metrics.listen, "127.0.0.1:9464");
  EXPECT_EQ(config.log.format, core::LogFormat::text);
  EXPECT_FALSE(config.cluster.enabled());
  EXPECT_EQ(config.cluster.redis, "");
  EXPECT_EQ(config.cluster.expected_nodes, 2u);
  EXPECT_EQ(config.cluster.key_prefix, "mxrelay:");
  EXPECT_EQ(config.cluster.timeout, std::chrono::milliseconds(200));

  EXPECT_EQ(config.transport_file, "");
  EXPECT_TRUE(config.transport.empty());
  EXPECT_EQ(config.transport.match("example.com"), nullptr);
  EXPECT_TRUE(config.auth.empty());
}

TEST(ConfigDefaults, EmptyFileGivesEveryDefault) {
  auto config = parse_config("", "empty.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  expect_defaults(*config);
  EXPECT_EQ(config->source, "empty.toml");
}

TEST(ConfigDefaults, EmptySectionsGiveEveryDefault) {
  auto config = parse_config(
      "[server]\n[queue]\n[dns]\n[dns.unbound_options]\n[delivery]\n[metrics]\n[log]\n[cluster]\n",
      "sections.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  expect_defaults(*config);
}

TEST(ConfigDefaults, DefaultConfigMatchesEmptyFile) {
  expect_defaults(default_config());
}

// Setting one key leaves every other key at its default.
TEST(ConfigDefaults, OneKeyChangesOnlyItself) {
  auto config = parse_config("[delivery]\nport = 2526\n", "one.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(config->delivery.port, 2526);
  config->delivery.port = 25;
  expect_defaults(*config);
}

}  // namespace
}  // namespace mxrelay::conf
