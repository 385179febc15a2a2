// mta/protocol: the server side of the SASL exchange inside SMTP AUTH (RFC 4954) for the PLAIN
// (RFC 4616) and LOGIN mechanisms: decodes the client's base64 responses, asks for what is
// missing, and yields the username and password to verify. Pure; verification is not here.
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace mxrelay::mta {

// Ask the client for more: the session sends "334 " + base64.
struct SaslChallenge {
  std::string base64;
};

// The exchange is complete: these credentials are to be verified.
struct SaslCredentials {
  std::string username;
  std::string password;
  std::string mechanism;  // "PLAIN" or "LOGIN", for the log
};

enum class SaslFailure {
  unknown_mechanism,  // neither PLAIN nor LOGIN (504 5.5.4)
  cancelled,          // the client answered "*" (501 5.0.0)
  bad_encoding,       // not base64, or a PLAIN message of the wrong shape (501 5.5.2)
  bad_identity,       // PLAIN authorization identity other than the user (535 5.7.8)
};

using SaslOutcome = std::variant<SaslChallenge, SaslCredentials, SaslFailure>;

class SaslExchange {
 public:
  // argument: what follows "AUTH ": a mechanism name and an optional initial response
  // ("=" stands for an empty one).
  SaslOutcome start(std::string_view argument);
  // line: the client's answer to the last challenge, without CRLF.
  SaslOutcome respond(std::string_view line);

 private:
  enum class Stage { plain_response, login_username, login_password };

  SaslOutcome take_plain(std::string_view base64);
  SaslOutcome take_login_username(std::string_view base64);
  SaslOutcome take_login_password(std::string_view base64);

  Stage stage_ = Stage::plain_response;
  std::string username_;
};

}  // namespace mxrelay::mta
