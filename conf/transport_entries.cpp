// conf: reading transport entries, and the transport file, into the TransportMap.
#include "transport_entries.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "config_diagnostics.hpp"
#include "config_values.hpp"
#include "core/domain_name.hpp"
#include "idna.hpp"
#include "text_file.hpp"
#include "transport_host.hpp"

namespace mxrelay::conf {

namespace {

// The most concurrent connections one entry may ask for.
constexpr unsigned kMaxConnectionsLimit = 10000;
// The port an implicit-TLS entry connects to when it names none (RFC 8314 "submissions").
constexpr std::uint16_t kImplicitTlsPort = 465;
// The longest reason accepted: it goes into one SMTP reply line.
constexpr std::size_t kMaxReasonLength = 200;

// What every entry of one [transport] table shares.
struct EntryContext {
  const std::string& file;
  const Config& config;  // delivery.tls and the auth tables
};

void read_mx(const TomlSection& entry, const TomlString& mx, TransportEntry& out) {
  auto name = to_a_label_domain(mx.value);
  if (core::IpAddress::parse(mx.value)) {
    entry.report(mx.node->source(), "mx",
                 "needs a domain name, not an address (use host = " + quoted_value(mx.value) + ")");
  } else if (!name || !core::is_valid_hostname(*name)) {
    entry.report(mx.node->source(), "mx",
                 "invalid domain " + quoted_value(mx.value) +
                     " (use dot-separated labels of letters, digits and hyphens)");
  } else {
    out.kind = NextHopKind::mx;
    out.name = *name;
  }
}

void read_host(const TomlSection& entry, const TomlString& host, TransportEntry& out) {
  auto parsed = parse_transport_host(host.value);
  if (!parsed) {
    entry.report(host.node->source(), "host",
                 "invalid host " + quoted_value(host.value) + " (" + parsed.error() + ")");
    return;
  }
  out.kind = NextHopKind::host;
  out.name = std::move(parsed->name);
  out.address = parsed->address;
  out.port = parsed->port;
}

void read_next_hop(const TomlSection& entry, TransportEntry& out) {
  auto mx = entry.string("mx");
  auto host = entry.string("host");
  if (mx && host)
    entry.report(host->node->source(), "host",
                 "cannot be combined with mx (mx resolves the MX of a name, host names the "
                 "next hop itself)");
  else if (mx)
    read_mx(entry, *mx, out);
  else if (host)
    read_host(entry, *host, out);
}

void read_port(const TomlSection& entry, TransportEntry& out) {
  const auto* node = entry.find("port");
  if (!node) return;
  if (out.port) {
    entry.report(node->source(), "port",
                 "host already gives port " + std::to_string(*out.port) + "; keep only one");
    return;
  }
  std::uint16_t port = 0;
  read_integer<std::uint16_t>(entry, "port", 1, 65535, port);
  if (port != 0) out.port = port;
}

void read_max_connections(const TomlSection& entry, TransportEntry& out) {
  unsigned limit = 0;
  read_integer<unsigned>(entry, "max_connections", 1, kMaxConnectionsLimit, limit);
  if (limit != 0) out.max_connections = limit;
}

void read_auth_reference(const TomlSection& entry, const EntryContext& context,
                         TransportEntry& out) {
  auto auth = entry.string("auth");
  if (!auth) return;
  if (!context.config.auth.contains(auth->value)) {
    entry.report(
        auth->node->source(), "auth",
        "unknown auth table " + quoted_value(auth->value) + " (define [auth." + auth->value + "])");
    return;
  }
  out.auth = auth->value;
}

// implicit_tls = true: TLS from the first byte, so only the policies that require TLS fit
// (verify when the entry gives none); without a port of its own the entry uses 465.
void read_implicit_tls(const TomlSection& entry, TransportEntry& out) {
  auto implicit = entry.boolean("implicit_tls");
  if (!implicit || !*implicit) return;
  out.implicit_tls = true;
  if (!out.port) out.port = kImplicitTlsPort;
  if (out.tls_inherited) {
    out.tls = TlsPolicy::verify;
  } else if (out.tls != TlsPolicy::encrypt && out.tls != TlsPolicy::verify) {
    entry.report(entry.find("implicit_tls")->source(), "implicit_tls",
                 "needs tls = \"encrypt\" or \"verify\" (this entry has tls = \"" +
                     std::string(tls_policy_name(out.tls)) + "\")");
  }
}

bool is_printable_ascii(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c >= 0x20 && c < 0x7f; });
}

void read_action(const TomlSection& entry, TransportEntry& out) {
  read_enum(entry, "action", kTransportActionNames, out.action);
  out.reason = default_reason(out.action);
  auto reason = entry.string("reason");
  if (!reason) return;
  if (out.action == TransportAction::deliver) {
    entry.report(reason->node->source(), "reason", "needs action defer, hold or reject");
  } else if (reason->value.empty() || reason->value.size() > kMaxReasonLength ||
             !is_printable_ascii(reason->value)) {
    entry.report(
        reason->node->source(), "reason",
        "must be 1 to " + std::to_string(kMaxReasonLength) + " printable ASCII characters");
  } else {
    out.reason = reason->value;
  }
}

TransportEntry read_entry(const TomlSection& entry, const EntryContext& context) {
  entry.reject_unknown_keys(
      {"mx", "host", "port", "tls", "implicit_tls", "auth", "max_connections", "action", "reason"});
  TransportEntry out;
  read_next_hop(entry, out);
  read_port(entry, out);
  out.tls = context.config.delivery.tls;
  if (entry.find("tls")) {
    out.tls_inherited = false;
    read_tls_policy(entry, "tls", out.tls);
  }
  read_implicit_tls(entry, out);
  read_auth_reference(entry, context, out);
  read_max_connections(entry, out);
  read_action(entry, out);
  return out;
}

std::string already_defined(const TransportEntry& first, std::string_view key) {
  std::string message = "already defined";
  if (first.key != key) message += " as " + quoted_value(first.key);
  return message + " at " + first.where();
}

// One key of a [transport] table and its entry.
void read_key(const TomlSection& transport, const toml::key& key, const EntryContext& context,
              TransportMap& out) {
  auto pattern = canonical_transport_key(key.str());
  if (!pattern) transport.report(key.source(), key.str(), pattern.error());
  auto table = transport.subtable(key.str());
  if (!pattern || !table) return;
  TransportEntry entry = read_entry(*table, context);
  entry.key = key.str();
  entry.pattern = std::move(*pattern);
  entry.file = context.file;
  entry.line = static_cast<int>(key.source().begin.line);
  entry.column = static_cast<int>(key.source().begin.column);
  if (const auto* first = out.find(entry.pattern)) {
    transport.report(key.source(), key.str(), already_defined(*first, key.str()));
    return;
  }
  out.add(std::move(entry));
}

// The entries of one [transport] table, in the order they are written.
void read_transport_table(const TomlSection& transport, const EntryContext& context,
                          TransportMap& out) {
  std::vector<const toml::key*> keys;
  for (const auto& [key, node] : transport.table()) keys.push_back(&key);
  std::ranges::sort(keys, {}, [](const toml::key* key) {
    const auto& begin = key->source().begin;
    return std::pair{begin.line, begin.column};
  });
  for (const auto* key : keys) read_key(transport, *key, context, out);
}

// The [transport] table of the transport file; its problems are returned.
std::vector<ConfigError> read_transport_file(const TomlSection& root, const TomlString& item,
                                             const std::filesystem::path& file,
                                             const Config& config, TransportMap& out) {
  const std::string name = file.string();
  auto text = read_text_file(file);
  if (!text) {
    root.report(item.node->source(), "transport_file",
                "cannot read " + quoted_value(name) + ": " + text.error());
    return {};
  }
  ConfigDiagnostics diagnostics(name);
  auto document = parse_toml_document(*text, name, diagnostics);
  if (!document) return diagnostics.sorted();
  TomlSection file_root(*document, "", diagnostics);
  file_root.reject_unknown_keys({"transport"});
  read_transport_table(file_root.section("transport"), EntryContext{name, config}, out);
  return diagnostics.sorted();
}

}  // namespace

std::vector<ConfigError> read_transport_sources(const TomlSection& root,
                                                const std::string& main_file,
                                                const std::filesystem::path& base_dir,
                                                Config& config) {
  TransportMap map;
  read_transport_table(root.section("transport"), EntryContext{main_file, config}, map);
  std::vector<ConfigError> file_errors;
  if (auto item = root.string("transport_file")) {
    if (item->value.empty()) {
      root.report(item->node->source(), "transport_file", "must not be empty");
    } else {
      config.transport_file = base_dir / item->value;
      file_errors = read_transport_file(root, *item, config.transport_file, config, map);
    }
  }
  config.transport = std::move(map);
  return file_errors;
}

}  // namespace mxrelay::conf
