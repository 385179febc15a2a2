// conf: the [auth.NAME] tables: SMTP AUTH credentials for transport entries, with the
// password read from a file only its owner may access. Private to the conf module.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "config.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// Reads every table of `auth` (username and password_file, both required; a relative
// password_file is relative to base_dir). Every NAME is stored, even when its table has
// errors, so that references to it are not reported a second time.
void read_auth_tables(const TomlSection& auth, const std::filesystem::path& base_dir,
                      std::map<std::string, AuthCredentials, std::less<>>& out);

}  // namespace mxrelay::conf
