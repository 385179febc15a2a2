// conf: reading a whole configuration file (the main config, a transport_file) into memory.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>

namespace mxrelay::conf {

// Configuration files larger than this are refused (a transport map of 100,000 entries is
// about 10 MiB).
inline constexpr std::size_t kMaxTextFileSize = std::size_t{64} << 20;

// The bytes of a regular file of at most kMaxTextFileSize, or why it cannot be read
// (strerror text, "not a regular file", "larger than 64 MiB").
std::expected<std::string, std::string> read_text_file(const std::filesystem::path& file);

}  // namespace mxrelay::conf
