// conf: value readers for durations, sizes, integers, names, endpoints and networks.
#include "config_values.hpp"

#include <algorithm>
#include <optional>
#include <system_error>

#include "byte_size.hpp"
#include "core/control_characters.hpp"
#include "core/domain_name.hpp"
#include "duration.hpp"
#include "listen_endpoint.hpp"
#include "resolver_server.hpp"

namespace mxrelay::conf {

namespace {

// What a malformed value is called in messages, and how to write it instead.
struct Syntax {
  std::string_view noun;
  std::string_view hint;
};

constexpr Syntax kDurationSyntax{"duration", "use a number and one of s, m, h, d"};
constexpr Syntax kSizeSyntax{
    "size", "use a number of bytes, or a number and one of B, KB, MB, GB, KiB, MiB, GiB"};
constexpr Syntax kHostnameSyntax{"host name",
                                 "use dot-separated labels of letters, digits and hyphens"};
constexpr Syntax kEndpointSyntax{"endpoint", "use IPv4:port or [IPv6]:port"};
constexpr Syntax kNetworkSyntax{"network", "use an IP address or address/prefix"};
constexpr Syntax kResolverSyntax{"DNS server", "use an IP address with an optional @port"};

}  // namespace

std::string quoted_value(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return core::escape_control_characters(out) + "\"";
}

namespace {

void report_invalid(const TomlSection& section, std::string_view key, const TomlString& item,
                    const Syntax& syntax) {
  section.report(item.node->source(), key,
                 "invalid " + std::string(syntax.noun) + " " + quoted_value(item.value) + " (" +
                     std::string(syntax.hint) + ")");
}

// Parses one string with `parse`, reporting it with `syntax` when it yields nothing.
template <typename Parse>
auto parse_item(const TomlSection& section, std::string_view key, const TomlString& item,
                const Syntax& syntax, Parse parse) -> decltype(parse(item.value)) {
  auto parsed = parse(item.value);
  if (!parsed) report_invalid(section, key, item, syntax);
  return parsed;
}

// The array at `key`, reporting it when it is present but empty.
std::optional<std::vector<TomlString>> non_empty_strings(const TomlSection& section,
                                                         std::string_view key) {
  auto items = section.strings(key);
  if (items && section.find(key)->as_array()->empty()) {
    section.report(section.find(key)->source(), key, "must not be empty");
    return std::nullopt;
  }
  return items;
}

std::optional<std::chrono::seconds> positive_duration(const TomlSection& section,
                                                      std::string_view key,
                                                      const TomlString& item) {
  auto duration = parse_item(section, key, item, kDurationSyntax, parse_duration);
  if (!duration) return std::nullopt;
  if (*duration <= std::chrono::seconds::zero()) {
    section.report(item.node->source(), key, "duration must be greater than zero");
    return std::nullopt;
  }
  if (*duration > kMaxDuration) {
    section.report(item.node->source(), key,
                   "duration " + quoted_value(item.value) + " is too long (at most 3650d)");
    return std::nullopt;
  }
  return duration;
}

std::optional<std::string> hostname(const TomlSection& section, std::string_view key,
                                    const TomlString& item) {
  auto canonical = [](std::string_view text) -> std::optional<std::string> {
    if (!core::is_valid_hostname(text)) return std::nullopt;
    return core::canonical_domain(text);
  };
  return parse_item(section, key, item, kHostnameSyntax, canonical);
}

std::string range_text(std::int64_t min, std::int64_t max) {
  if (max == std::numeric_limits<std::int64_t>::max()) return "at least " + std::to_string(min);
  return std::to_string(min) + ".." + std::to_string(max);
}

}  // namespace

std::optional<std::size_t> read_choice(const TomlSection& section, std::string_view key,
                                       std::span<const std::string_view> names) {
  auto item = section.string(key);
  if (!item) return std::nullopt;
  auto found = std::ranges::find(names, item->value);
  if (found != names.end()) return static_cast<std::size_t>(found - names.begin());
  std::string hint;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) hint += i + 1 == names.size() ? " or " : ", ";
    hint += names[i];
  }
  section.report(item->node->source(), key,
                 "invalid value " + quoted_value(item->value) + " (use " + hint + ")");
  return std::nullopt;
}

void read_duration(const TomlSection& section, std::string_view key, std::chrono::seconds& out) {
  auto item = section.string(key);
  if (!item) return;
  if (auto duration = positive_duration(section, key, *item)) out = *duration;
}

void read_duration_or_zero(const TomlSection& section, std::string_view key,
                           std::chrono::seconds& out) {
  auto item = section.string(key);
  if (!item) return;
  auto duration = parse_duration(item->value);
  if (duration && *duration == std::chrono::seconds::zero())
    out = *duration;
  else if (auto positive = positive_duration(section, key, *item))
    out = *positive;
}

void read_durations(const TomlSection& section, std::string_view key,
                    std::vector<std::chrono::seconds>& out) {
  auto items = non_empty_strings(section, key);
  if (!items) return;
  std::vector<std::chrono::seconds> durations;
  for (const auto& item : *items)
    if (auto duration = positive_duration(section, key, item)) durations.push_back(*duration);
  out = std::move(durations);
}

void read_file_path(const TomlSection& section, std::string_view key,
                    const std::filesystem::path& base_dir, std::filesystem::path& out) {
  auto item = section.string(key);
  if (!item) return;
  if (item->value.empty()) {
    out.clear();
    return;
  }
  auto path = base_dir / item->value;
  std::error_code error;
  auto status = std::filesystem::status(path, error);
  const auto& where = item->node->source();
  if (status.type() == std::filesystem::file_type::not_found)
    section.report(where, key, quoted_value(path.string()) + " does not exist");
  else if (error)
    section.report(where, key,
                   "cannot access " + quoted_value(path.string()) + ": " + error.message());
  else if (!std::filesystem::is_regular_file(status))
    section.report(where, key, quoted_value(path.string()) + " is not a regular file");
  else
    out = std::move(path);
}

void read_tls_policy(const TomlSection& section, std::string_view key, TlsPolicy& out) {
  read_enum(section, key, kTlsPolicyNames, out);
}

void read_byte_size(const TomlSection& section, std::string_view key, std::size_t& out) {
  const auto* node = section.find(key);
  if (!node) return;
  std::optional<std::uint64_t> size;
  if (const auto* integer = node->as_integer()) {
    if (integer->get() > 0) size = static_cast<std::uint64_t>(integer->get());
  } else if (const auto* text = node->as_string()) {
    size = parse_item(section, key, TomlString{text->get(), text}, kSizeSyntax, parse_byte_size);
    if (!size) return;
  } else {
    section.report_type(*node, key, "an integer or a size string");
    return;
  }
  if (!size || *size == 0) {
    section.report(node->source(), key, "size must be greater than zero");
    return;
  }
  out = *size;
}

void read_bounded(const TomlSection& section, std::string_view key, std::int64_t min,
                  std::int64_t max, std::int64_t& out) {
  auto value = section.integer(key);
  if (!value) return;
  if (*value < min || *value > max) {
    section.report(section.find(key)->source(), key,
                   std::to_string(*value) + " is out of range (" + range_text(min, max) + ")");
    return;
  }
  out = *value;
}

void read_hostname(const TomlSection& section, std::string_view key, bool allow_empty,
                   std::string& out) {
  auto item = section.string(key);
  if (!item) return;
  if (allow_empty && item->value.empty()) {
    out.clear();
    return;
  }
  if (auto name = hostname(section, key, *item)) out = *name;
}

void read_hostnames(const TomlSection& section, std::string_view key,
                    std::vector<std::string>& out) {
  auto items = section.strings(key);
  if (!items) return;
  std::vector<std::string> names;
  for (const auto& item : *items)
    if (auto name = hostname(section, key, item)) names.push_back(*name);
  out = std::move(names);
}

void read_listen_endpoints(const TomlSection& section, std::string_view key,
                           std::vector<ListenEndpoint>& out) {
  auto items = non_empty_strings(section, key);
  if (!items) return;
  std::vector<ListenEndpoint> endpoints;
  for (const auto& item : *items) {
    auto endpoint = parse_item(section, key, item, kEndpointSyntax, parse_listen_endpoint);
    if (!endpoint) continue;
    auto same = [&](const ListenEndpoint& e) { return e.str() == endpoint->str(); };
    if (std::ranges::any_of(endpoints, same)) {
      section.report(item.node->source(), key, quoted_value(endpoint->str()) + " is listed twice");
      continue;
    }
    endpoints.push_back(*endpoint);
  }
  out = std::move(endpoints);
}

void read_networks(const TomlSection& section, std::string_view key, bool allow_empty,
                   std::vector<core::Cidr>& out) {
  auto items = allow_empty ? section.strings(key) : non_empty_strings(section, key);
  if (!items) return;
  std::vector<core::Cidr> networks;
  for (const auto& item : *items)
    if (auto network = parse_item(section, key, item, kNetworkSyntax, core::Cidr::parse))
      networks.push_back(*network);
  out = std::move(networks);
}

void read_resolver_servers(const TomlSection& section, std::string_view key, bool allow_empty,
                           std::vector<std::string>& out) {
  auto items = allow_empty ? section.strings(key) : non_empty_strings(section, key);
  if (!items) return;
  std::vector<std::string> servers;
  for (const auto& item : *items)
    if (auto server = parse_item(section, key, item, kResolverSyntax, parse_resolver_server))
      servers.push_back(server->str());
  out = std::move(servers);
}

}  // namespace mxrelay::conf
