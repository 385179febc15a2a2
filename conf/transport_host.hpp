// conf: the `host` syntax of a transport entry: one next-hop host, never looked up by MX.
// "name", "name:port", "192.0.2.1", "192.0.2.1:25", "[192.0.2.1]", "[2001:db8::1]:587".
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

#include "core/ip_address.hpp"

namespace mxrelay::conf {

struct TransportHost {
  // A-label host name in canonical form, or the canonical text of `address`.
  std::string name;
  std::optional<core::IpAddress> address;  // set for an IP literal
  std::optional<std::uint16_t> port;       // 1..65535 when given
};

// The parsed host, or a message saying what is wrong with `text` (without the text).
// IPv6 addresses need brackets; brackets hold addresses only; names may be U-labels and
// are stored as A-labels.
std::expected<TransportHost, std::string> parse_transport_host(std::string_view text);

}  // namespace mxrelay::conf
