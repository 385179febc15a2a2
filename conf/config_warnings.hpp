// conf: settings that are valid but probably not what the administrator meant, reported by
// `mxrelay check` as warnings (the configuration is still used; the exit status stays 0).
#pragma once

#include <vector>

#include "config.hpp"
#include "load_config.hpp"

namespace mxrelay::conf {

// Each warning names the place of the setting it is about, as ConfigError does for errors.
std::vector<ConfigError> config_warnings(const Config& config);

}  // namespace mxrelay::conf
