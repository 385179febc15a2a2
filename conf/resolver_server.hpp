// conf: DNS server addresses for dns.forwarders and dns.stub servers, in libunbound's
// "addr[@port]" syntax ("127.0.0.1@5353", "::1", "::1@53").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ip_address.hpp"

namespace mxrelay::conf {

struct ResolverServer {
  core::IpAddress address;
  std::optional<std::uint16_t> port;  // absent: libunbound's default, 53
  // Canonical libunbound form: "127.0.0.1@5353", "::1".
  std::string str() const;
};

// An IPv4 or IPv6 literal (no brackets, no host names), optionally "@port" with port
// 1..65535; std::nullopt otherwise.
std::optional<ResolverServer> parse_resolver_server(std::string_view text);

}  // namespace mxrelay::conf
