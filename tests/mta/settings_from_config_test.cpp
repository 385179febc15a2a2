// Tests for the mapping of conf::Config to the listener's and the delivery's settings.
#include "mta/settings_from_config.hpp"

#include <gtest/gtest.h>

#include "conf/default_config.hpp"

namespace mxrelay::mta {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(SettingsFromConfig, DefaultListenerSettingsOfferNoTlsAndNoAuth) {
  auto settings = listener_settings(conf::default_config());
  EXPECT_FALSE(settings.tls);
  EXPECT_FALSE(settings.require_tls);
  EXPECT_EQ(settings.credentials_file, "");
  EXPECT_EQ(settings.auth_max_failures, 5u);
  EXPECT_EQ(settings.auth_failure_window, minutes(15));
  EXPECT_EQ(settings.max_connections, 1000u);
  EXPECT_EQ(settings.max_connections_per_client, 100u);
  EXPECT_EQ(settings.timeout, minutes(5));
}

TEST(SettingsFromConfig, ListenerSettingsCarryEveryServerKey) {
  auto config = conf::default_config();
  config.server.tls_cert_file = "/etc/mxrelay/cert.pem";
  config.server.tls_key_file = "/etc/mxrelay/key.pem";
  config.server.tls_ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
  config.server.tls_ciphersuites = "TLS_AES_256_GCM_SHA384";
  config.server.require_tls = true;
  config.server.credentials_file = "/etc/mxrelay/users";
  config.server.auth_max_failures = 7;
  config.server.auth_failure_window = hours(1);
  config.server.max_connections = 30;
  config.server.max_connections_per_client = 3;
  config.server.timeout = seconds(90);
  auto settings = listener_settings(config);
  ASSERT_TRUE(settings.tls);
  EXPECT_EQ(settings.tls->cert_file, "/etc/mxrelay/cert.pem");
  EXPECT_EQ(settings.tls->key_file, "/etc/mxrelay/key.pem");
  EXPECT_EQ(settings.tls->ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(settings.tls->ciphersuites, "TLS_AES_256_GCM_SHA384");
  EXPECT_TRUE(settings.require_tls);
  EXPECT_EQ(settings.credentials_file, "/etc/mxrelay/users");
  EXPECT_EQ(settings.auth_max_failures, 7u);
  EXPECT_EQ(settings.auth_failure_window, hours(1));
  EXPECT_EQ(settings.max_connections, 30u);
  EXPECT_EQ(settings.max_connections_per_client, 3u);
  EXPECT_EQ(settings.timeout, seconds(90));
}

TEST(SettingsFromConfig, DefaultCiphersAreTheListenersDefaults) {
  auto config = conf::default_config();
  config.server.tls_cert_file = "cert.pem";
  config.server.tls_key_file = "key.pem";
  auto settings = listener_settings(config);
  ASSERT_TRUE(settings.tls);
  EXPECT_EQ(settings.tls->ciphers, ServerTlsSettings{}.ciphers);
  EXPECT_EQ(settings.tls->ciphersuites, ServerTlsSettings{}.ciphersuites);
}

TEST(SettingsFromConfig, DeliverySettingsCarryTlsCaFileAndHealth) {
  auto config = conf::default_config();
  config.delivery.tls_ca_file = "/etc/ssl/corp-ca.pem";
  config.delivery.health_failure_threshold = 9;
  config.delivery.health_cool_down = minutes(2);
  auto settings = delivery_settings(config);
  EXPECT_EQ(settings.tls, TlsPolicy::may);
  EXPECT_EQ(settings.ca_file, "/etc/ssl/corp-ca.pem");
  EXPECT_EQ(settings.health.failure_threshold, 9u);
  EXPECT_EQ(settings.health.cool_down, minutes(2));
  EXPECT_EQ(settings.health.max_tracked, AddressHealthSettings{}.max_tracked);
}

TEST(SettingsFromConfig, EveryTlsPolicyMaps) {
  struct Row {
    conf::TlsPolicy configured;
    TlsPolicy expected;
  } rows[] = {
      {conf::TlsPolicy::none, TlsPolicy::none},
      {conf::TlsPolicy::may, TlsPolicy::may},
      {conf::TlsPolicy::encrypt, TlsPolicy::encrypt},
      {conf::TlsPolicy::verify, TlsPolicy::verify},
      {conf::TlsPolicy::dane, TlsPolicy::dane},
      {conf::TlsPolicy::dane_only, TlsPolicy::dane_only},
  };
  for (const auto& row : rows) {
    auto config = conf::default_config();
    config.delivery.tls = row.configured;
    EXPECT_EQ(delivery_settings(config).tls, row.expected) << conf::tls_policy_name(row.configured);
  }
}

}  // namespace
}  // namespace mxrelay::mta
