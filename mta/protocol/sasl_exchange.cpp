// mta/protocol: PLAIN and LOGIN exchanges.
#include "mta/protocol/sasl_exchange.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "mta/protocol/base64.hpp"
#include "mta/protocol/smtp_command.hpp"

namespace mxrelay::mta {

namespace {

// The LOGIN prompts "Username:" and "Password:" in base64.
constexpr std::string_view kUsernamePrompt = "VXNlcm5hbWU6";
constexpr std::string_view kPasswordPrompt = "UGFzc3dvcmQ6";

// Decodes a response; "=" is the empty initial response (RFC 4954 4).
std::optional<std::string> decode_response(std::string_view base64) {
  if (base64 == "=") return std::string();
  return decode_base64(base64);
}

// Names never carry control characters: they end up in logs and headers.
bool is_clean_username(std::string_view name) {
  return !name.empty() && std::ranges::none_of(name, [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u < 32 || u == 127;
  });
}

bool has_nul(std::string_view text) {
  return text.find('\0') != std::string_view::npos;
}

}  // namespace

SaslOutcome SaslExchange::start(std::string_view argument) {
  std::size_t space = argument.find(' ');
  std::string_view mechanism = argument.substr(0, space);
  std::string_view initial =
      space == std::string_view::npos ? std::string_view() : argument.substr(space + 1);
  bool has_initial = space != std::string_view::npos;
  if (equals_ignoring_case(mechanism, "PLAIN")) {
    stage_ = Stage::plain_response;
    if (has_initial) return take_plain(initial);
    return SaslChallenge{};
  }
  if (equals_ignoring_case(mechanism, "LOGIN")) {
    stage_ = Stage::login_username;
    if (has_initial) return take_login_username(initial);
    return SaslChallenge{std::string(kUsernamePrompt)};
  }
  return SaslFailure::unknown_mechanism;
}

SaslOutcome SaslExchange::respond(std::string_view line) {
  if (line == "*") return SaslFailure::cancelled;
  switch (stage_) {
    case Stage::plain_response:
      return take_plain(line);
    case Stage::login_username:
      return take_login_username(line);
    case Stage::login_password:
      return take_login_password(line);
  }
  return SaslFailure::bad_encoding;
}

// message = [authzid] NUL authcid NUL passwd (RFC 4616 2).
SaslOutcome SaslExchange::take_plain(std::string_view base64) {
  auto decoded = decode_response(base64);
  if (!decoded) return SaslFailure::bad_encoding;
  std::string_view message = *decoded;
  std::size_t first = message.find('\0');
  if (first == std::string_view::npos) return SaslFailure::bad_encoding;
  std::size_t second = message.find('\0', first + 1);
  if (second == std::string_view::npos) return SaslFailure::bad_encoding;
  std::string_view authzid = message.substr(0, first);
  std::string_view authcid = message.substr(first + 1, second - first - 1);
  std::string_view password = message.substr(second + 1);
  if (!is_clean_username(authcid) || has_nul(password)) return SaslFailure::bad_encoding;
  if (!authzid.empty() && authzid != authcid) return SaslFailure::bad_identity;
  return SaslCredentials{std::string(authcid), std::string(password), "PLAIN"};
}

SaslOutcome SaslExchange::take_login_username(std::string_view base64) {
  auto decoded = decode_response(base64);
  if (!decoded || !is_clean_username(*decoded)) return SaslFailure::bad_encoding;
  username_ = std::move(*decoded);
  stage_ = Stage::login_password;
  return SaslChallenge{std::string(kPasswordPrompt)};
}

SaslOutcome SaslExchange::take_login_password(std::string_view base64) {
  auto decoded = decode_response(base64);
  if (!decoded || has_nul(*decoded)) return SaslFailure::bad_encoding;
  return SaslCredentials{std::exchange(username_, {}), std::move(*decoded), "LOGIN"};
}

}  // namespace mxrelay::mta
