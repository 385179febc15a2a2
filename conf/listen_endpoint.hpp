// conf: parsing listen endpoints ("127.0.0.1:2525", "[::1]:25") into conf::ListenEndpoint;
// ListenEndpoint::str() (declared in config.hpp) is the inverse.
#pragma once

#include <optional>
#include <string_view>

#include "config.hpp"

namespace mxrelay::conf {

// "IPv4:port" or "[IPv6]:port" with literal addresses only (no host names). Port 0 is
// accepted and means "any free port" (handy for tests); callers that need a fixed port
// check it themselves.
std::optional<ListenEndpoint> parse_listen_endpoint(std::string_view text);

}  // namespace mxrelay::conf
