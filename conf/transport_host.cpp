// conf: parse_transport_host().
#include "transport_host.hpp"

#include <algorithm>

#include "core/domain_name.hpp"
#include "idna.hpp"
#include "port.hpp"

namespace mxrelay::conf {

namespace {

using HostResult = std::expected<TransportHost, std::string>;

// "[address]" or "[address]:port".
HostResult parse_bracketed(std::string_view text) {
  auto close = text.find(']');
  if (close == std::string_view::npos) return std::unexpected("missing \"]\"");
  auto rest = text.substr(close + 1);
  auto address = core::IpAddress::parse(text.substr(1, close - 1));
  if (!address) return std::unexpected("brackets hold an IP address only");
  TransportHost host{address->str(), address, std::nullopt};
  if (rest.empty()) return host;
  if (rest.front() != ':') return std::unexpected("unexpected text after \"]\"");
  host.port = parse_port(rest.substr(1));
  if (!host.port || *host.port == 0) return std::unexpected("port must be 1..65535");
  return host;
}

// "192.0.2.300" is neither an address nor a name: top-level labels are never all digits.
bool has_numeric_top_label(std::string_view name) {
  auto top = name.substr(name.rfind('.') + 1);
  return std::ranges::all_of(top, [](char c) { return c >= '0' && c <= '9'; });
}

HostResult parse_name_or_ipv4(std::string_view text) {
  std::optional<std::uint16_t> port;
  auto colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    if (text.find(':') != colon) return std::unexpected("IPv6 addresses need brackets");
    port = parse_port(text.substr(colon + 1));
    if (!port || *port == 0) return std::unexpected("port must be 1..65535");
    text = text.substr(0, colon);
  }
  if (auto address = core::IpAddress::parse(text))
    return TransportHost{address->str(), address, port};
  auto name = to_a_label_domain(text);
  if (!name) return std::unexpected("invalid host name: " + name.error());
  if (!core::is_valid_hostname(*name) || has_numeric_top_label(*name))
    return std::unexpected(
        "invalid host name (use dot-separated labels of letters, digits and "
        "hyphens)");
  return TransportHost{*name, std::nullopt, port};
}

}  // namespace

std::expected<TransportHost, std::string> parse_transport_host(std::string_view text) {
  if (text.empty()) return std::unexpected("must not be empty");
  if (text.front() == '[') return parse_bracketed(text);
  return parse_name_or_ipv4(text);
}

}  // namespace mxrelay::conf
