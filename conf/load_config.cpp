// conf: load_config() and parse_config(): TOML text to a validated Config. Each [section]
// is mapped to its Config part by one reader, and every problem is collected with its
// position before anything is returned. Files are read here (the main file), in
// auth_tables (password files) and in transport_entries (the transport file), nowhere else.
#include "load_config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <optional>

#include "auth_tables.hpp"
#include "cluster_settings.hpp"
#include "config_diagnostics.hpp"
#include "config_values.hpp"
#include "default_config.hpp"
#include "dkim_entries.hpp"
#include "listen_endpoint.hpp"
#include "mailbox_address.hpp"
#include "secret_file.hpp"
#include "shaping_entries.hpp"
#include "source_addresses.hpp"
#include "text_file.hpp"
#include "toml_section.hpp"
#include "transport_entries.hpp"

namespace mxrelay::conf {

namespace {

// "server.tls_cert_file and server.tls_key_file", for messages about keys that need both.
constexpr std::string_view kCertificateKeys = "server.tls_cert_file and server.tls_key_file";

// True when `key` holds a non-empty string (wrong types are reported by its reader).
bool is_set(const TomlSection& section, std::string_view key) {
  const auto* node = section.find(key);
  const auto* text = node ? node->as_string() : nullptr;
  return text && !text->get().empty();
}

bool has_certificate(const TomlSection& server) {
  return is_set(server, "tls_cert_file") && is_set(server, "tls_key_file");
}

void read_non_empty_string(const TomlSection& section, std::string_view key, std::string& out) {
  auto item = section.string(key);
  if (!item) return;
  if (item->value.empty())
    section.report(item->node->source(), key, "must not be empty");
  else
    out = item->value;
}

void read_server_tls(const TomlSection& server, const std::filesystem::path& base_dir,
                     ServerConfig& out) {
  read_file_path(server, "tls_cert_file", base_dir, out.tls_cert_file);
  read_file_path(server, "tls_key_file", base_dir, out.tls_key_file);
  for (auto [key, other] :
       {std::pair{"tls_cert_file", "tls_key_file"}, std::pair{"tls_key_file", "tls_cert_file"}})
    if (is_set(server, key) && !is_set(server, other))
      server.report(server.find(key)->source(), key,
                    "needs server." + std::string(other) + " too (set both or neither)");
  read_non_empty_string(server, "tls_ciphers", out.tls_ciphers);
  read_non_empty_string(server, "tls_ciphersuites", out.tls_ciphersuites);
}

// require_tls and credentials_file, which need the certificate; AUTH is offered over TLS only.
void read_server_security(const TomlSection& server, const std::filesystem::path& base_dir,
                          ServerConfig& out) {
  bool certificate = has_certificate(server);
  if (auto require_tls = server.boolean("require_tls")) {
    if (*require_tls && !certificate)
      server.report(server.find("require_tls")->source(), "require_tls",
                    "needs " + std::string(kCertificateKeys));
    else
      out.require_tls = *require_tls;
  }
  auto credentials = server.string("credentials_file");
  if (!credentials || credentials->value.empty()) return;
  const auto& where = credentials->node->source();
  if (!certificate) {
    server.report(where, "credentials_file",
                  "needs " + std::string(kCertificateKeys) + " (AUTH is offered over TLS only)");
    return;
  }
  auto file = base_dir / credentials->value;
  if (auto access = check_secret_file(file); !access)
    server.report(where, "credentials_file", access.error());
  else
    out.credentials_file = std::move(file);
}

// Indexed by BareNewlines' values.
constexpr std::array<std::string_view, 2> kBareNewlinesNames{"reject", "normalize"};

// bare_newlines and bare_newlines_from, which only make sense together: "normalize" names
// the clients it applies to, and a list is refused while it would have no effect.
void read_bare_newlines(const TomlSection& server, ServerConfig& out) {
  read_enum(server, "bare_newlines", kBareNewlinesNames, out.bare_newlines);
  read_networks(server, "bare_newlines_from", true, out.bare_newlines_from);
  // Invalid values are reported by their readers; the cross-checks look at valid ones only.
  const auto* mode = server.find("bare_newlines");
  const auto* from = server.find("bare_newlines_from");
  auto mode_is = [mode](std::string_view name) {
    return mode && mode->value<std::string_view>() == name;
  };
  bool from_empty = !from || (from->is_array() && from->as_array()->empty());
  if (mode_is("normalize") && from_empty)
    server.report(mode->source(), "bare_newlines",
                  "\"normalize\" needs server.bare_newlines_from (the legacy clients it applies "
                  "to; everyone else keeps \"reject\")");
  if ((!mode || mode_is("reject")) && !out.bare_newlines_from.empty())
    server.report(from->source(), "bare_newlines_from",
                  "has no effect unless server.bare_newlines = \"normalize\"");
}

void read_server(const TomlSection& server, const std::filesystem::path& base_dir,
                 ServerConfig& out) {
  server.reject_unknown_keys({"listen",
                              "hostname",
                              "relay_networks",
                              "max_message_size",
                              "max_recipients",
                              "max_hops",
                              "tls_cert_file",
                              "tls_key_file",
                              "tls_ciphers",
                              "tls_ciphersuites",
                              "require_tls",
                              "credentials_file",
                              "auth_max_failures",
                              "auth_failure_window",
                              "max_connections",
                              "max_connections_per_client",
                              "max_connections_untrusted",
                              "pregreet_wait",
                              "timeout",
                              "command_timeout",
                              "data_timeout",
                              "tls_handshake_timeout",
                              "shutdown_grace",
                              "bare_newlines",
                              "bare_newlines_from"});
  read_listen_endpoints(server, "listen", out.listen);
  read_hostname(server, "hostname", false, out.hostname);
  if (!server.find("hostname") && out.hostname.empty())
    server.report({}, "hostname",
                  "the machine's host name is not a valid host name; set server.hostname");
  read_networks(server, "relay_networks", false, out.relay_networks);
  read_byte_size(server, "max_message_size", out.max_message_size);
  constexpr auto kUnlimited = std::numeric_limits<std::size_t>::max();
  read_integer<std::size_t>(server, "max_recipients", 1, kUnlimited, out.max_recipients);
  read_integer<unsigned>(server, "max_hops", 1, 500, out.max_hops);
  read_server_tls(server, base_dir, out);
  read_server_security(server, base_dir, out);
  read_integer<std::size_t>(server, "auth_max_failures", 1, 1000, out.auth_max_failures);
  read_duration(server, "auth_failure_window", out.auth_failure_window);
  read_integer<std::size_t>(server, "max_connections", 1, kUnlimited, out.max_connections);
  read_integer<std::size_t>(server, "max_connections_per_client", 1, kUnlimited,
                            out.max_connections_per_client);
  if (server.find("max_connections_untrusted")) {
    std::size_t untrusted = 0;
    read_integer<std::size_t>(server, "max_connections_untrusted", 0, out.max_connections,
                              untrusted);
    out.max_connections_untrusted = untrusted;
  }
  read_duration_or_zero(server, "pregreet_wait", out.pregreet_wait);
  read_duration(server, "timeout", out.timeout);
  read_duration(server, "command_timeout", out.command_timeout);
  read_duration(server, "data_timeout", out.data_timeout);
  read_duration(server, "tls_handshake_timeout", out.tls_handshake_timeout);
  read_duration(server, "shutdown_grace", out.shutdown_grace);
  read_bare_newlines(server, out);
}

// A local@domain address (its domain made canonical), or "" for what empty_means says.
void read_mailbox_or_empty(const TomlSection& section, std::string_view key,
                           std::string_view empty_means, std::string& out) {
  auto item = section.string(key);
  if (!item || item->value.empty()) return;
  if (auto address = parse_mailbox_address(item->value))
    out = *address;
  else
    section.report(item->node->source(), key,
                   "invalid address " + quoted_value(item->value) + " (use local@domain, or \"\" " +
                       std::string(empty_means) + ")");
}

void read_queue(const TomlSection& queue, QueueConfig& out) {
  queue.reject_unknown_keys({"dir", "retry_intervals", "max_age", "delay_warning", "postmaster"});
  if (auto dir = queue.string("dir")) {
    if (dir->value.empty())
      queue.report(dir->node->source(), "dir", "must not be empty");
    else
      out.dir = dir->value;
  }
  read_durations(queue, "retry_intervals", out.retry_intervals);
  read_duration(queue, "max_age", out.max_age);
  read_duration_or_zero(queue, "delay_warning", out.delay_warning);
  read_mailbox_or_empty(queue, "postmaster", "to drop failed DSNs", out.postmaster);
}

// One [[dns.stub]] entry; `seen` maps zones to the line that defined them.
void read_stub(const TomlSection& stub, std::map<std::string, int>& seen,
               std::vector<DnsStub>& out) {
  stub.reject_unknown_keys({"zone", "servers"});
  const auto& where = stub.table().source();
  DnsStub entry;
  for (std::string_view required : {"zone", "servers"})
    if (!stub.find(required)) stub.report(where, required, "required key is missing");
  read_hostname(stub, "zone", false, entry.zone);
  read_resolver_servers(stub, "servers", false, entry.servers);
  if (entry.zone.empty() || entry.servers.empty()) return;
  auto [previous, inserted] = seen.emplace(entry.zone, static_cast<int>(where.begin.line));
  if (!inserted) {
    stub.report(stub.find("zone")->source(), "zone",
                quoted_value(entry.zone) + " is already defined at line " +
                    std::to_string(previous->second));
    return;
  }
  out.push_back(std::move(entry));
}

// Unbound option names are lower-case words joined by hyphens ("edns-buffer-size").
bool is_option_name(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

// [dns.unbound_options], kept in the order the keys appear in the file.
void read_unbound_options(const TomlSection& options,
                          std::vector<std::pair<std::string, std::string>>& out) {
  std::vector<std::pair<const toml::key*, std::string>> entries;
  for (const auto& [key, node] : options.table()) {
    if (!is_option_name(key.str())) {
      options.report(key.source(), key.str(),
                     "invalid unbound option name (use lower-case letters, digits and hyphens)");
    } else if (const auto* text = node.as_string()) {
      entries.emplace_back(&key, text->get());
    } else {
      options.report_type(node, key.str(), "a string");
    }
  }
  auto position = [](const auto& entry) {
    const auto& begin = entry.first->source().begin;
    return std::pair{begin.line, begin.column};
  };
  std::ranges::sort(entries, {}, position);
  out.clear();
  for (auto& [key, value] : entries) out.emplace_back(key->str(), std::move(value));
}

void read_dns(const TomlSection& dns, DnsConfig& out) {
  dns.reject_unknown_keys({"forwarders", "stub", "query_timeout", "dnssec", "trust_anchor_file",
                           "mx_required", "unbound_options"});
  read_resolver_servers(dns, "forwarders", true, out.forwarders);
  if (auto stubs = dns.subtables("stub")) {
    std::map<std::string, int> seen;
    for (const auto& stub : *stubs) read_stub(stub, seen, out.stubs);
  }
  auto query_timeout = std::chrono::duration_cast<std::chrono::seconds>(out.query_timeout);
  read_duration(dns, "query_timeout", query_timeout);
  out.query_timeout = query_timeout;
  if (auto dnssec = dns.boolean("dnssec")) out.dnssec = *dnssec;
  if (auto anchor = dns.string("trust_anchor_file")) {
    if (anchor->value.empty() && out.dnssec)
      dns.report(anchor->node->source(), "trust_anchor_file",
                 "must not be empty when dns.dnssec is true");
    else
      out.trust_anchor_file = anchor->value;
  }
  read_hostnames(dns, "mx_required", out.mx_required);
  if (auto options = dns.subtable("unbound_options"))
    read_unbound_options(*options, out.unbound_options);
}

// Indexed by IpVersion's values.
constexpr std::array<std::string_view, 2> kAddressLiteralsNames{"refuse", "deliver"};
constexpr std::array<std::string_view, 5> kIpVersionNames{"any", "ipv4", "ipv6", "prefer-ipv4",
                                                          "prefer-ipv6"};

// The most concurrent outbound connections delivery.max_connections* may ask for.
constexpr std::size_t kMaxOutboundConnections = 10000;

void read_delivery_limits(const TomlSection& delivery, const std::filesystem::path& base_dir,
                          DeliveryConfig& out) {
  read_file_path(delivery, "tls_ca_file", base_dir, out.tls_ca_file);
  read_integer<unsigned>(delivery, "health_failure_threshold", 1, 1000,
                         out.health_failure_threshold);
  read_duration(delivery, "health_cool_down", out.health_cool_down);
  read_integer<std::size_t>(delivery, "max_messages_per_connection", 1,
                            std::numeric_limits<std::size_t>::max(),
                            out.max_messages_per_connection);
  read_integer<std::size_t>(delivery, "max_connections", 1, kMaxOutboundConnections,
                            out.max_connections);
  read_integer<std::size_t>(delivery, "max_connections_per_destination", 1, kMaxOutboundConnections,
                            out.max_connections_per_destination);
  read_duration(delivery, "connection_idle_time", out.connection_idle_time);
  if (auto use_bdat = delivery.boolean("use_bdat")) out.use_bdat = *use_bdat;
  if (auto mta_sts = delivery.boolean("mta_sts")) out.mta_sts = *mta_sts;
  read_source_addresses(delivery, out);
}

void read_delivery(const TomlSection& delivery, const std::filesystem::path& base_dir,
                   DeliveryConfig& out) {
  delivery.reject_unknown_keys({"port",
                                "address_literals",
                                "ip_version",
                                "max_addresses",
                                "tls",
                                "helo_name",
                                "connect_timeout",
                                "greeting_timeout",
                                "command_timeout",
                                "data_timeout",
                                "data_block_timeout",
                                "final_dot_timeout",
                                "tls_ca_file",
                                "health_failure_threshold",
                                "health_cool_down",
                                "max_messages_per_connection",
                                "max_connections",
                                "max_connections_per_destination",
                                "connection_idle_time",
                                "use_bdat",
                                "source_ipv4",
                                "source_ipv6",
                                "source_addresses",
                                "mta_sts"});
  read_integer<std::uint16_t>(delivery, "port", 1, 65535, out.port);
  read_enum(delivery, "address_literals", kAddressLiteralsNames, out.address_literals);
  read_enum(delivery, "ip_version", kIpVersionNames, out.ip_version);
  read_integer<unsigned>(delivery, "max_addresses", 1, std::numeric_limits<unsigned>::max(),
                         out.max_addresses);
  read_tls_policy(delivery, "tls", out.tls);
  read_hostname(delivery, "helo_name", true, out.helo_name);
  read_duration(delivery, "connect_timeout", out.connect_timeout);
  read_duration(delivery, "greeting_timeout", out.greeting_timeout);
  read_duration(delivery, "command_timeout", out.command_timeout);
  read_duration(delivery, "data_timeout", out.data_timeout);
  read_duration(delivery, "data_block_timeout", out.data_block_timeout);
  read_duration(delivery, "final_dot_timeout", out.final_dot_timeout);
  read_delivery_limits(delivery, base_dir, out);
}

void read_metrics(const TomlSection& metrics, MetricsConfig& out) {
  metrics.reject_unknown_keys({"listen"});
  auto item = metrics.string("listen");
  if (!item) return;
  if (item->value.empty()) {
    out.listen.clear();
  } else if (auto endpoint = parse_listen_endpoint(item->value)) {
    out.listen = endpoint->str();
  } else {
    metrics.report(item->node->source(), "listen",
                   "invalid endpoint " + quoted_value(item->value) +
                       " (use IPv4:port or [IPv6]:port, or \"\" to disable)");
  }
}

// Indexed by core::LogFormat's values.
constexpr std::array<std::string_view, 3> kLogFormatNames{"text", "json", "postfix"};

void read_log(const TomlSection& log, LogConfig& out) {
  log.reject_unknown_keys({"format"});
  read_enum(log, "format", kLogFormatNames, out.format);
}

void read_tls_report(const TomlSection& section, TlsReportConfig& out) {
  section.reject_unknown_keys({"enabled", "organization_name", "contact"});
  if (auto enabled = section.boolean("enabled")) out.enabled = *enabled;
  if (auto name = section.string("organization_name")) out.organization_name = name->value;
  read_mailbox_or_empty(section, "contact", "for postmaster@server.hostname", out.contact);
}

// Everything but the transport map; files named in it are relative to base_dir.
void read_document(const TomlSection& root, const std::filesystem::path& base_dir, Config& out) {
  root.reject_unknown_keys({"server", "queue", "dns", "delivery", "metrics", "log", "auth", "dkim",
                            "shaping", "cluster", "tls_report", "transport", "transport_file"});
  read_server(root.section("server"), base_dir, out.server);
  read_queue(root.section("queue"), out.queue);
  read_dns(root.section("dns"), out.dns);
  read_delivery(root.section("delivery"), base_dir, out.delivery);
  read_metrics(root.section("metrics"), out.metrics);
  read_log(root.section("log"), out.log);
  read_auth_tables(root.section("auth"), base_dir, out.auth);
  read_dkim_entries(root, base_dir, out.dkim);
  read_shaping_sites(root, out.shaping);
  read_cluster(root.section("cluster"), out.cluster);
  read_tls_report(root.section("tls_report"), out.tls_report);
}

}  // namespace

ConfigResult parse_config(std::string_view toml_text, const std::string& source_name) {
  ConfigDiagnostics diagnostics(source_name);
  auto document = parse_toml_document(toml_text, source_name, diagnostics);
  if (!document) return std::unexpected(diagnostics.sorted());
  const auto base_dir = std::filesystem::path(source_name).parent_path();
  Config config = default_config();
  config.source = source_name;
  TomlSection root(*document, "", diagnostics);
  read_document(root, base_dir, config);
  auto transport_file_errors = read_transport_sources(root, source_name, base_dir, config);
  if (diagnostics.empty() && transport_file_errors.empty()) return config;
  auto errors = diagnostics.sorted();
  errors.insert(errors.end(), transport_file_errors.begin(), transport_file_errors.end());
  return std::unexpected(std::move(errors));
}

ConfigResult load_config(const std::filesystem::path& file) {
  auto text = read_text_file(file);
  if (!text)
    return std::unexpected(
        std::vector<ConfigError>{ConfigError{file.string(), 0, 0, "cannot read: " + text.error()}});
  auto config = parse_config(*text, file.string());
  if (config) config->source = file;
  return config;
}

}  // namespace mxrelay::conf
