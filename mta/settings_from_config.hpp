// mta: the inbound listener's and the outbound delivery's settings taken from conf::Config
// (server.tls_*, require_tls, credentials_file, auth_*, max_connections*, timeout;
// delivery.tls, tls_ca_file, health_*). Pure mappings, no I/O: the files named are read when
// the listener starts and when the delivery context is built.
#pragma once

#include "conf/config.hpp"
#include "mta/smtp_delivery.hpp"
#include "mta/smtp_listener.hpp"

namespace mxrelay::mta {

// tls is set only when server.tls_cert_file is (load_config() makes sure the key is too).
ListenerSettings listener_settings(const conf::Config& config);
DeliverySettings delivery_settings(const conf::Config& config);

}  // namespace mxrelay::mta
