// conf: reading a whole configuration file (the main config, a transport_file) into memory.
#pragma once

#include <expected>
#include <filesystem>
#include <string>

namespace mxrelay::conf {

// The file's bytes, or why it cannot be read (strerror text).
std::expected<std::string, std::string> read_text_file(const std::filesystem::path& file);

}  // namespace mxrelay::conf
