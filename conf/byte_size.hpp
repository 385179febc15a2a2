// conf: the configuration's size syntax ("50MiB", "10MB", "512B"), parsed without I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mxrelay::conf {

// A non-negative decimal integer followed by exactly one unit: B, KB, MB, GB (powers of
// 1000) or KiB, MiB, GiB (powers of 1024). Units are case-sensitive and no space is
// allowed. Anything else, or a result above UINT64_MAX, gives std::nullopt.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

}  // namespace mxrelay::conf
