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

#include "auth_tables.hpp"
#include "config_diagnostics.hpp"
#include "config_values.hpp"
#include "default_config.hpp"
#include "listen_endpoint.hpp"
#include "text_file.hpp"
#include "toml_section.hpp"
#include "transport_entries.hpp"

namespace mxrelay::conf {

namespace {

void read_server(const TomlSection& server, ServerConfig& out) {
  server.reject_unknown_keys(
      {"listen", "hostname", "relay_networks", "max_message_size", "max_recipients", "max_hops"});
  read_listen_endpoints(server, "listen", out.listen);
  read_hostname(server, "hostname", false, out.hostname);
  if (!server.find("hostname") && out.hostname.empty())
    server.report({}, "hostname",
                  "the machine's host name is not a valid host name; set server.hostname");
  read_networks(server, "relay_networks", out.relay_networks);
  read_byte_size(server, "max_message_size", out.max_message_size);
  read_integer<std::size_t>(server, "max_recipients", 1, std::numeric_limits<std::size_t>::max(),
                            out.max_recipients);
  read_integer<unsigned>(server, "max_hops", 1, 500, out.max_hops);
}

void read_queue(const TomlSection& queue, QueueConfig& out) {
  queue.reject_unknown_keys({"dir", "retry_intervals", "max_age"});
  if (auto dir = queue.string("dir")) {
    if (dir->value.empty())
      queue.report(dir->node->source(), "dir", "must not be empty");
    else
      out.dir = dir->value;
  }
  read_durations(queue, "retry_intervals", out.retry_intervals);
  read_duration(queue, "max_age", out.max_age);
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
constexpr std::array<std::string_view, 5> kIpVersionNames{"any", "ipv4", "ipv6", "prefer-ipv4",
                                                          "prefer-ipv6"};

void read_delivery(const TomlSection& delivery, DeliveryConfig& out) {
  delivery.reject_unknown_keys({"port", "ip_version", "max_addresses", "tls", "helo_name",
                                "connect_timeout", "greeting_timeout", "command_timeout",
                                "data_timeout", "data_block_timeout", "final_dot_timeout"});
  read_integer<std::uint16_t>(delivery, "port", 1, 65535, out.port);
  read_enum(delivery, "ip_version", kIpVersionNames, out.ip_version);
  read_integer<unsigned>(delivery, "max_addresses", 1, std::numeric_limits<unsigned>::max(),
                         out.max_addresses);
  read_enum(delivery, "tls", kTlsPolicyNames, out.tls);
  read_hostname(delivery, "helo_name", true, out.helo_name);
  read_duration(delivery, "connect_timeout", out.connect_timeout);
  read_duration(delivery, "greeting_timeout", out.greeting_timeout);
  read_duration(delivery, "command_timeout", out.command_timeout);
  read_duration(delivery, "data_timeout", out.data_timeout);
  read_duration(delivery, "data_block_timeout", out.data_block_timeout);
  read_duration(delivery, "final_dot_timeout", out.final_dot_timeout);
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

// Everything but the transport map; auth password files are relative to base_dir.
void read_document(const TomlSection& root, const std::filesystem::path& base_dir, Config& out) {
  root.reject_unknown_keys(
      {"server", "queue", "dns", "delivery", "metrics", "auth", "transport", "transport_file"});
  read_server(root.section("server"), out.server);
  read_queue(root.section("queue"), out.queue);
  read_dns(root.section("dns"), out.dns);
  read_delivery(root.section("delivery"), out.delivery);
  read_metrics(root.section("metrics"), out.metrics);
  read_auth_tables(root.section("auth"), base_dir, out.auth);
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
