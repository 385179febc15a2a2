// mta: listener_settings() and delivery_settings().
#include "mta/settings_from_config.hpp"

namespace mxrelay::mta {

ListenerSettings listener_settings(const conf::Config& config) {
  const auto& server = config.server;
  ListenerSettings settings;
  if (!server.tls_cert_file.empty())
    settings.tls = ServerTlsSettings{server.tls_cert_file, server.tls_key_file, server.tls_ciphers,
                                     server.tls_ciphersuites};
  settings.require_tls = server.require_tls;
  settings.credentials_file = server.credentials_file;
  settings.auth_max_failures = server.auth_max_failures;
  settings.auth_failure_window = server.auth_failure_window;
  settings.max_connections = server.max_connections;
  settings.max_connections_per_client = server.max_connections_per_client;
  settings.timeout = server.timeout;
  return settings;
}

DeliverySettings delivery_settings(const conf::Config& config) {
  const auto& delivery = config.delivery;
  DeliverySettings settings;
  settings.tls = delivery.tls;
  settings.ca_file = delivery.tls_ca_file;
  settings.health.failure_threshold = delivery.health_failure_threshold;
  settings.health.cool_down = delivery.health_cool_down;
  return settings;
}

}  // namespace mxrelay::mta
