// mta/sendmail: submission_target().
#include "mta/sendmail/submission_target.hpp"

#include <toml++/toml.h>
#include <optional>
#include <sstream>

#include "conf/listen_endpoint.hpp"

namespace mxrelay::mta::sendmail {

namespace {

conf::ListenEndpoint loopback_for_wildcard(conf::ListenEndpoint endpoint) {
  if (endpoint.address == core::IpAddress::v4({0, 0, 0, 0}))
    endpoint.address = core::IpAddress::v4({127, 0, 0, 1});
  else if (endpoint.address == core::IpAddress::v6({}))
    endpoint.address = core::IpAddress::v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  return endpoint;
}

}  // namespace

std::expected<SubmissionTarget, std::string> submission_target(std::string_view toml_text,
                                                               const std::string& source_name,
                                                               const conf::ServerConfig& defaults) {
  toml::table table;
  try {
    table = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    std::ostringstream out;
    out << source_name << ":" << error.source().begin.line << ": " << error.description();
    return std::unexpected(out.str());
  }
  SubmissionTarget target;
  target.hostname = table["server"]["hostname"].value_or(defaults.hostname);
  std::optional<conf::ListenEndpoint> endpoint;
  if (auto listen = table["server"]["listen"]; listen) {
    if (auto first = listen[0].value<std::string>()) endpoint = conf::parse_listen_endpoint(*first);
  } else if (!defaults.listen.empty()) {
    endpoint = defaults.listen.front();
  }
  if (!endpoint)
    return std::unexpected(source_name + ": server.listen has no first address to submit to");
  target.endpoint = *endpoint;
  target.endpoint = loopback_for_wildcard(target.endpoint);
  return target;
}

}  // namespace mxrelay::mta::sendmail
