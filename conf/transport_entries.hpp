// conf: the transport map from TOML: the [transport] table of the main configuration and
// of the file named by its top-level transport_file key. Private to the conf module.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config.hpp"
#include "load_config.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// Reads root's [transport], then the transport_file it names (relative to base_dir, the
// main file's folder), into config.transport and config.transport_file. Expects
// config.delivery.tls and config.auth to be read already. Problems in the main document
// go to root's diagnostics; those inside the transport file are returned, ordered.
std::vector<ConfigError> read_transport_sources(const TomlSection& root,
                                                const std::string& main_file,
                                                const std::filesystem::path& base_dir,
                                                Config& config);

}  // namespace mxrelay::conf
