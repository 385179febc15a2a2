// mta/sendmail: where `mxrelay sendmail` submits: the first server.listen endpoint of the
// relay's configuration, with a wildcard address (0.0.0.0, ::) replaced by the loopback
// address of its family, and the name to greet with (server.hostname). Only these two keys
// are read, so that any local user can submit even when the configuration names files only
// the relay's user may read. Pure: the TOML text and the fallbacks come in as values.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "conf/config.hpp"

namespace mxrelay::mta::sendmail {

struct SubmissionTarget {
  conf::ListenEndpoint endpoint;
  std::string hostname;  // EHLO name and the domain of unqualified senders
};

// defaults: the values of an empty configuration (conf::default_config()). The error names
// the TOML syntax error or the bad listen value, with source_name.
std::expected<SubmissionTarget, std::string> submission_target(std::string_view toml_text,
                                                               const std::string& source_name,
                                                               const conf::ServerConfig& defaults);

}  // namespace mxrelay::mta::sendmail
