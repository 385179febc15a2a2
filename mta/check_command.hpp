// mta: `mxrelay check`: loads a configuration the way the relay starts with it (the config
// and transport files, TLS certificate and key, AUTH credentials, smart-host passwords, DKIM
// keys), then, when run as root, does it again as the relay's service user (default
// "mxrelay", or --user) in a child process, with the spool folder's permissions too, so that
// `check` by an administrator fails where the service would fail with "Permission denied".
#pragma once

#include <optional>
#include <string>

namespace mxrelay::mta {

// Exit status: 0 valid, 1 not (the reasons on stderr).
int run_check_command(const std::string& config_file, const std::optional<std::string>& user);

}  // namespace mxrelay::mta
