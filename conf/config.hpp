// conf: the typed, immutable configuration of one mxrelay instance. Built once from TOML
// by load_config() and passed explicitly to whoever needs it; there are no globals.
// Every field has a safe documented default (see conf/mxrelay.toml).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "tls_policy.hpp"
#include "transport_map.hpp"

namespace mxrelay::conf {

// A TCP endpoint to listen on: a literal address and a port ("127.0.0.1:2525", "[::1]:25").
struct ListenEndpoint {
  core::IpAddress address;
  std::uint16_t port = 0;
  std::string str() const;
};

struct ServerConfig {
  std::vector<ListenEndpoint> listen;      // default 127.0.0.1:2525
  std::string hostname;                    // default: the machine's host name
  std::vector<core::Cidr> relay_networks;  // default 127.0.0.0/8, ::1/128
  std::size_t max_message_size = 50 * 1024 * 1024;
  std::size_t max_recipients = 1000;
  unsigned max_hops = 50;  // more Received headers than this: 554 5.4.6 loop (1..500)
};

struct QueueConfig {
  std::filesystem::path dir = "var/spool";
  // Retry after the n-th failed attempt waits retry_intervals[min(n, size)-1].
  std::vector<std::chrono::seconds> retry_intervals;  // default 5m,10m,30m,1h,2h,4h
  std::chrono::seconds max_age = std::chrono::hours(24 * 5);
};

// Queries for `zone` go to `servers` (libunbound "addr@port" syntax) instead of recursion.
struct DnsStub {
  std::string zone;
  std::vector<std::string> servers;
};

struct DnsConfig {
  std::vector<std::string> forwarders;  // empty: embedded full recursion from the root
  std::vector<DnsStub> stubs;
  std::chrono::milliseconds query_timeout = std::chrono::seconds(10);
  bool dnssec = true;
  std::filesystem::path trust_anchor_file = "/usr/share/dns/root.key";
  // Passed to ub_ctx_set_option as "name:" value, in order, for experts.
  std::vector<std::pair<std::string, std::string>> unbound_options;
  // Domains for which an MX NODATA answer is a DNS fault (defer), never implicit MX.
  std::vector<std::string> mx_required;  // default outlook.com hotmail.com live.com msn.com ...
};

enum class IpVersion { any, ipv4, ipv6, prefer_ipv4, prefer_ipv6 };

struct DeliveryConfig {
  std::uint16_t port = 25;
  IpVersion ip_version = IpVersion::any;
  unsigned max_addresses = 5;      // addresses tried per attempt across all MX hosts
  TlsPolicy tls = TlsPolicy::may;  // for routes whose transport entry sets no tls
  std::string helo_name;           // empty: server.hostname
  std::chrono::seconds connect_timeout{30};
  std::chrono::seconds greeting_timeout{300};
  std::chrono::seconds command_timeout{300};
  std::chrono::seconds data_timeout{120};
  std::chrono::seconds data_block_timeout{180};
  std::chrono::seconds final_dot_timeout{600};
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";  // empty: no metrics endpoint
};

// An [auth.NAME] table: SMTP AUTH credentials that transport entries name with auth = "NAME".
struct AuthCredentials {
  std::string username;
  std::string password;                 // the first line of password_file, without its newline
  std::filesystem::path password_file;  // a relative one is joined to the config file's folder
};

struct Config {
  std::filesystem::path source;  // the file it was read from
  ServerConfig server;
  QueueConfig queue;
  DnsConfig dns;
  DeliveryConfig delivery;
  MetricsConfig metrics;
  // "" when none; a relative transport_file is joined to the config file's folder here.
  std::filesystem::path transport_file;
  TransportMap transport;                                    // [transport] of both files
  std::map<std::string, AuthCredentials, std::less<>> auth;  // [auth.NAME] by NAME
};

}  // namespace mxrelay::conf
