// mta/protocol: the client side of SMTP AUTH (RFC 4954): the credentials a transport entry gives,
// the mechanism chosen from those a server offers (PLAIN, RFC 4616, preferred; else LOGIN), and the
// encoded responses. Pure: the session sends them, and only inside TLS.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mxrelay::mta {

struct ClientCredentials {
  std::string username;
  std::string password;
};

enum class AuthMechanism { plain, login };

std::string_view to_string(AuthMechanism mechanism);  // "PLAIN", "LOGIN"

// The mechanism to use from the EHLO's AUTH keywords (upper case); nullopt when the server
// offers neither PLAIN nor LOGIN.
std::optional<AuthMechanism> choose_auth_mechanism(std::span<const std::string> offered);

// PLAIN's initial response: base64 of NUL, user name, NUL, password (no authorisation id).
std::string plain_initial_response(const ClientCredentials& credentials);

}  // namespace mxrelay::mta
