// conf: config_warnings().
#include "config_warnings.hpp"

#include <string>

namespace mxrelay::conf {

namespace {

// AUTH credentials are sent only inside TLS: with none the entry never delivers, with may it
// defers whenever the host offers no STARTTLS (instead of sending the password in clear).
void warn_auth_without_required_tls(const TransportEntry& entry, std::vector<ConfigError>& out) {
  if (entry.auth.empty() || entry.action != TransportAction::deliver) return;
  if (entry.tls != TlsPolicy::none && entry.tls != TlsPolicy::may) return;
  const std::string policy(tls_policy_name(entry.tls));
  const std::string consequence =
      entry.tls == TlsPolicy::none
          ? "its mail is always deferred"
          : "its mail is deferred whenever the host does not offer STARTTLS";
  out.push_back({entry.file, entry.line, entry.column,
                 "warning: transport entry \"" + entry.key + "\" uses auth = \"" + entry.auth +
                     "\" with tls = \"" + policy + "\"; credentials are sent only over TLS, so " +
                     consequence + " (set tls = \"encrypt\" or \"verify\")"});
}

}  // namespace

std::vector<ConfigError> config_warnings(const Config& config) {
  std::vector<ConfigError> out;
  for (const auto& entry : config.transport.entries()) warn_auth_without_required_tls(entry, out);
  return out;
}

}  // namespace mxrelay::conf
