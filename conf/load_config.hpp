// conf: reading and strictly validating a TOML configuration file into a Config.
// Every problem is reported with the file, line and column it comes from; all problems
// are collected, not just the first.
#pragma once

#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"

namespace mxrelay::conf {

struct ConfigError {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no position (e.g. unreadable file)
  int column = 0;  // 1-based
  std::string message;
  // "FILE:LINE:COLUMN: message" (or "FILE: message" without a position)
  std::string str() const;
};

using ConfigResult = std::expected<Config, std::vector<ConfigError>>;

ConfigResult load_config(const std::filesystem::path& file);
// Parses TOML text; source_name is used in error messages and as Config::source. The
// transport_file and auth password files it names are read relative to source_name's
// folder. Errors of the main text come first, then those inside the transport file.
ConfigResult parse_config(std::string_view toml_text, const std::string& source_name);

}  // namespace mxrelay::conf
