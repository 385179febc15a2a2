// conf: the configuration's duration syntax ("90s", "5m", "4h", "5d"; "200ms" where a key takes
// milliseconds), parsed without I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mxrelay::conf {

// A non-negative decimal integer followed by exactly one unit: s, m, h or d; a bare "0"
// is also accepted. Anything else (spaces, signs, fractions, other units, a value too
// large for std::chrono::seconds) gives std::nullopt.
std::optional<std::chrono::seconds> parse_duration(std::string_view text);

// parse_duration's syntax, or a non-negative decimal integer followed by "ms".
std::optional<std::chrono::milliseconds> parse_duration_ms(std::string_view text);

}  // namespace mxrelay::conf
