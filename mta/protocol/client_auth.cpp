// mta/protocol: client AUTH mechanism choice and responses (see client_auth.hpp).
#include "mta/protocol/client_auth.hpp"

#include <algorithm>

#include "mta/protocol/base64.hpp"

namespace mxrelay::mta {

std::string_view to_string(AuthMechanism mechanism) {
  return mechanism == AuthMechanism::plain ? "PLAIN" : "LOGIN";
}

std::optional<AuthMechanism> choose_auth_mechanism(std::span<const std::string> offered) {
  for (auto mechanism : {AuthMechanism::plain, AuthMechanism::login})
    if (std::ranges::find(offered, to_string(mechanism)) != offered.end()) return mechanism;
  return std::nullopt;
}

std::string plain_initial_response(const ClientCredentials& credentials) {
  std::string message;
  message.reserve(credentials.username.size() + credentials.password.size() + 2);
  message += '\0';
  message += credentials.username;
  message += '\0';
  message += credentials.password;
  return encode_base64(message);
}

}  // namespace mxrelay::mta
