// conf: the decimal TCP/UDP port syntax shared by listen endpoints and resolver servers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mxrelay::conf {

// "0".."65535" in plain decimal digits (no sign, no spaces); std::nullopt otherwise.
// Callers decide whether port 0 is meaningful for them.
std::optional<std::uint16_t> parse_port(std::string_view text);

}  // namespace mxrelay::conf
