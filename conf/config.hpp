// conf: the typed, immutable configuration of one mxrelay instance. Built once from TOML
// by load_config() and passed explicitly to whoever needs it; there are no globals.
// Every field has a safe documented default (see conf/mxrelay.toml).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"
#include "core/log_line.hpp"
#include "shaping_site.hpp"
#include "tls_ciphers.hpp"
#include "tls_policy.hpp"
#include "transport_map.hpp"

namespace mxrelay::conf {

// A TCP endpoint to listen on: a literal address and a port ("127.0.0.1:2525", "[::1]:25").
struct ListenEndpoint {
  core::IpAddress address;
  std::uint16_t port = 0;
  std::string str() const;
};

// What the server does with a bare CR or LF (one outside a CRLF pair) in message content.
enum class BareNewlines {
  reject,     // 550 5.6.2: the message is refused (SMTP smuggling, CVE-2023-51764)
  normalize,  // for the clients in bare_newlines_from only: it becomes CRLF. Trade-off: the
              // normalised stream is parsed as usual, so their "\n.\n" ends the data
};

struct ServerConfig {
  std::vector<ListenEndpoint> listen;      // default 127.0.0.1:2525
  std::string hostname;                    // default: the machine's host name
  std::vector<core::Cidr> relay_networks;  // default 127.0.0.0/8, ::1/128
  std::size_t max_message_size = 50 * 1024 * 1024;
  std::size_t max_recipients = 1000;
  unsigned max_hops = 50;  // more Received headers than this: 554 5.4.6 loop (1..500)
  // STARTTLS: both files or neither (empty: STARTTLS not offered); PEM, chain leaf first.
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  std::string tls_ciphers = kIntermediateCiphers;  // TLS 1.2 cipher list (OpenSSL syntax)
  std::string tls_ciphersuites = kTls13Suites;     // TLS 1.3 suites
  bool require_tls = false;                        // MAIL refused before STARTTLS
  std::filesystem::path credentials_file;          // AUTH users (TLS only); empty: no AUTH
  std::size_t auth_max_failures = 5;               // failed AUTH per client address within...
  std::chrono::seconds auth_failure_window = std::chrono::minutes(15);  // ...this window
  std::size_t max_connections = 1000;            // concurrent inbound connections in total
  std::size_t max_connections_per_client = 100;  // ... and per client address
  // Connections from outside relay_networks, together; the rest is kept for the relay's
  // own clients. Unset: three quarters of max_connections.
  std::optional<std::size_t> max_connections_untrusted;
  std::size_t untrusted_connection_limit() const {
    return max_connections_untrusted.value_or(max_connections * 3 / 4);
  }
  // A client outside relay_networks that talks before the greeting within this wait is
  // dropped (pregreet: spam software does not wait); 0: no wait, no test.
  std::chrono::seconds pregreet_wait = std::chrono::seconds(1);
  std::chrono::seconds timeout = std::chrono::minutes(5);  // idle client (RFC 5321 4.5.3.2.7)
  // Deadlines, counted from the first byte whatever the client's pace: one command line...
  std::chrono::seconds command_timeout = std::chrono::minutes(5);
  // ...a message's content (DATA up to the final dot, or every BDAT chunk up to LAST)...
  std::chrono::seconds data_timeout = std::chrono::minutes(30);
  // ...and the STARTTLS handshake.
  std::chrono::seconds tls_handshake_timeout = std::chrono::seconds(30);
  // SIGTERM: sessions in DATA and delivery attempts in flight get this long to finish.
  std::chrono::seconds shutdown_grace = std::chrono::seconds(30);
  BareNewlines bare_newlines = BareNewlines::reject;
  std::vector<core::Cidr> bare_newlines_from;  // the clients "normalize" applies to; default none
};

struct QueueConfig {
  std::filesystem::path dir = "var/spool";
  // Retry after the n-th failed attempt waits retry_intervals[min(n, size)-1].
  std::vector<std::chrono::seconds> retry_intervals;  // default 5m,10m,30m,1h,2h,4h
  std::chrono::seconds max_age = std::chrono::hours(24 * 5);
  std::chrono::seconds delay_warning = std::chrono::hours(4);  // 0: no delay warnings
  std::string postmaster;  // "local@domain" receiving failed DSNs; empty: they are dropped
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

// Recipients at an address literal (user@[192.0.2.1]): refused (550 5.7.1, at RCPT and at
// delivery), or delivered through the transport map like any domain (its "*" entry).
enum class AddressLiterals { refuse, deliver };

struct DeliveryConfig {
  std::uint16_t port = 25;
  AddressLiterals address_literals = AddressLiterals::refuse;
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
  std::filesystem::path tls_ca_file;  // CA bundle for tls = "verify"; empty: the system's CAs
  // Circuit breaker per destination address: open after this many consecutive failures...
  unsigned health_failure_threshold = 3;
  std::chrono::seconds health_cool_down = std::chrono::minutes(5);  // ...for this long
  std::size_t max_messages_per_connection = 100;                    // then the connection is closed
  std::size_t max_connections = 20;  // concurrent outbound connections in total
  std::size_t max_connections_per_destination = 10;
  std::chrono::seconds connection_idle_time{5};  // an idle reusable connection is kept this long
  bool use_bdat = true;  // send the message with BDAT (RFC 3030) when the server offers CHUNKING
  // Local address outbound connections are bound to, for destinations of its family;
  // unset: the kernel chooses.
  std::optional<core::IpAddress> source_ipv4;
  std::optional<core::IpAddress> source_ipv6;
  // delivery.source_addresses: several local addresses, of either family, that connections
  // are spread over (each with its own share of a site's limits); excludes source_ipv4/ipv6.
  std::vector<core::IpAddress> source_addresses;
  // MTA-STS (RFC 8461) for routes to the recipient domain's own MX whose TLS policy is not set
  // by a transport entry.
  bool mta_sts = true;
};

// The source addresses connections are spread over: delivery.source_addresses, else
// source_ipv4 and source_ipv6 (those set); empty: the kernel chooses.
std::vector<core::IpAddress> configured_sources(const DeliveryConfig& config);

struct LogConfig {
  core::LogFormat format = core::LogFormat::text;
};

struct MetricsConfig {
  std::string listen = "127.0.0.1:9464";  // empty: no metrics endpoint
};

// [cluster]: relays that share their sites' limits (connections, message rate, suspensions)
// through one Redis server.
struct ClusterConfig {
  std::string redis;             // "host:port" or "[IPv6]:port" as written; "": no cluster
  std::string redis_host;        // its host: a canonical name, or an address without brackets
  std::uint16_t redis_port = 0;  // 1..65535 when redis is set
  // The relays in the cluster: while Redis is unreachable each one keeps to this share of a
  // site's limits.
  unsigned expected_nodes = 2;
  std::string key_prefix = "mxrelay:";  // of every Redis key the cluster uses
  // A Redis reply slower than this counts as Redis being unreachable.
  std::chrono::milliseconds timeout{200};

  bool enabled() const { return !redis.empty(); }
  bool operator==(const ClusterConfig&) const = default;
};

// [tls_report]: SMTP TLS Reporting (RFC 8460): daily aggregate reports of the outbound TLS
// sessions to the domains that publish an _smtp._tls TXT record.
struct TlsReportConfig {
  bool enabled = false;
  std::string organization_name;  // "": server.hostname
  std::string contact;            // local@domain; "": postmaster@server.hostname

  bool operator==(const TlsReportConfig&) const = default;
};

// An [auth.NAME] table: SMTP AUTH credentials that transport entries name with auth = "NAME".
struct AuthCredentials {
  std::string username;
  std::string password;                 // the first line of password_file, without its newline
  std::filesystem::path password_file;  // a relative one is joined to the config file's folder
};

// The header fields signed by default (RFC 6376 5.4.1 recommends these); From is signed once
// more than it occurs (oversigned), so no From can be added after signing.
inline constexpr std::array<std::string_view, 16> kDefaultDkimHeaders{"From",
                                                                      "Reply-To",
                                                                      "Subject",
                                                                      "Date",
                                                                      "To",
                                                                      "Cc",
                                                                      "Message-ID",
                                                                      "In-Reply-To",
                                                                      "References",
                                                                      "MIME-Version",
                                                                      "Content-Type",
                                                                      "Content-Transfer-Encoding",
                                                                      "List-Id",
                                                                      "List-Unsubscribe",
                                                                      "List-Unsubscribe-Post",
                                                                      "Sender"};

enum class DkimAlgorithm { rsa_sha256, ed25519_sha256 };

// One [[dkim]] entry: sign mail whose From: domain is `domain` or a subdomain of it.
struct DkimEntry {
  std::string domain;    // canonical A-label form; the signature's d=
  std::string selector;  // s=
  std::filesystem::path key_file;
  std::string key_pem;  // the private key as read (checked: RSA of 2048 bits or more, Ed25519)
  DkimAlgorithm algorithm = DkimAlgorithm::rsa_sha256;
  unsigned key_bits = 0;
  std::vector<std::string> headers;  // field names to sign, as written; default kDefaultDkimHeaders
  std::string where;                 // FILE:LINE:COLUMN of the entry
};

struct Config {
  std::filesystem::path source;  // the file it was read from
  ServerConfig server;
  QueueConfig queue;
  DnsConfig dns;
  DeliveryConfig delivery;
  MetricsConfig metrics;
  LogConfig log;
  ClusterConfig cluster;
  TlsReportConfig tls_report;
  // "" when none; a relative transport_file is joined to the config file's folder here.
  std::filesystem::path transport_file;
  TransportMap transport;                                    // [transport] of both files
  std::map<std::string, AuthCredentials, std::less<>> auth;  // [auth.NAME] by NAME
  std::vector<DkimEntry> dkim;                               // [[dkim]] in file order
  // The built-in sites, then [[shaping]] in file order (an entry replaces a built-in site).
  std::vector<ShapingSite> shaping;

  // The name outbound sessions greet with: delivery.helo_name, else server.hostname.
  const std::string& outbound_helo_name() const {
    return delivery.helo_name.empty() ? server.hostname : delivery.helo_name;
  }
  // tls_report.organization_name and contact with their defaults applied.
  std::string tls_report_organization() const {
    return tls_report.organization_name.empty() ? server.hostname : tls_report.organization_name;
  }
  std::string tls_report_contact() const {
    return tls_report.contact.empty() ? "postmaster@" + server.hostname : tls_report.contact;
  }
};

}  // namespace mxrelay::conf
