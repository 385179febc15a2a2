// mta/protocol: xtext and the RFC 3461 parameter grammars.
#include "mta/protocol/dsn_parameter_syntax.hpp"

#include <algorithm>

#include "mta/protocol/smtp_command.hpp"

namespace mxrelay::mta {

namespace {

constexpr std::size_t kMaxEnvidLength = 100;  // RFC 3461 4.4
constexpr std::size_t kMaxOrcptLength = 500;  // RFC 3461 4.2

bool is_xchar(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && u != '+' && u != '=';
}

int upper_hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3461 4.2 and 4.4: ENVID and the ORCPT address are printable US-ASCII once decoded.
bool printable_ascii(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool is_forbidden_octet(char c) {
  return c == '\r' || c == '\n' || c == '\0';
}

// addr-type = atom (RFC 3461 4.2, RFC 5321 4.1.2): letters, digits and atext specials.
bool is_addr_type(std::string_view text) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

}  // namespace

std::expected<std::string, DsnError> decode_xtext(std::string_view xtext) {
  std::string decoded;
  decoded.reserve(xtext.size());
  for (std::size_t i = 0; i < xtext.size(); ++i) {
    char c = xtext[i];
    if (is_xchar(c)) {
      decoded.push_back(c);
      continue;
    }
    if (c != '+' || i + 2 >= xtext.size()) return std::unexpected(DsnError::bad_xtext);
    int high = upper_hex_value(xtext[i + 1]);
    int low = upper_hex_value(xtext[i + 2]);
    if (high < 0 || low < 0) return std::unexpected(DsnError::bad_xtext);
    char octet = static_cast<char>(high * 16 + low);
    if (is_forbidden_octet(octet)) return std::unexpected(DsnError::forbidden_octet);
    decoded.push_back(octet);
    i += 2;
  }
  return decoded;
}

std::string encode_xtext(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string encoded;
  encoded.reserve(text.size());
  for (char c : text) {
    if (is_xchar(c)) {
      encoded.push_back(c);
    } else {
      unsigned char u = static_cast<unsigned char>(c);
      encoded.push_back('+');
      encoded.push_back(kHex[u >> 4]);
      encoded.push_back(kHex[u & 0x0F]);
    }
  }
  return encoded;
}

std::expected<queue::DsnRet, DsnError> parse_dsn_ret(std::string_view value) {
  if (equals_ignoring_case(value, "FULL")) return queue::DsnRet::full;
  if (equals_ignoring_case(value, "HDRS")) return queue::DsnRet::headers;
  return std::unexpected(DsnError::bad_value);
}

std::expected<std::string, DsnError> parse_dsn_envid(std::string_view value) {
  if (value.empty() || value.size() > kMaxEnvidLength) return std::unexpected(DsnError::bad_value);
  auto envid = decode_xtext(value);
  if (envid && !printable_ascii(*envid)) return std::unexpected(DsnError::bad_value);
  return envid;
}

std::expected<queue::DsnNotify, DsnError> parse_dsn_notify(std::string_view value) {
  queue::DsnNotify notify;
  bool any = false;
  while (true) {
    std::size_t comma = value.find(',');
    std::string_view word = value.substr(0, comma);
    bool* flag = equals_ignoring_case(word, "NEVER")     ? &notify.never
                 : equals_ignoring_case(word, "SUCCESS") ? &notify.success
                 : equals_ignoring_case(word, "FAILURE") ? &notify.failure
                 : equals_ignoring_case(word, "DELAY")   ? &notify.delay
                                                         : nullptr;
    if (flag == nullptr || *flag) return std::unexpected(DsnError::bad_value);
    *flag = true;
    any = true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  if (!any || (notify.never && (notify.success || notify.failure || notify.delay)))
    return std::unexpected(DsnError::bad_value);
  return notify;
}

std::expected<void, DsnError> parse_dsn_orcpt(std::string_view value, queue::RecipientDsn& into) {
  if (value.size() > kMaxOrcptLength) return std::unexpected(DsnError::bad_value);
  std::size_t semicolon = value.find(';');
  if (semicolon == std::string_view::npos) return std::unexpected(DsnError::bad_value);
  std::string_view type = value.substr(0, semicolon);
  if (!is_addr_type(type)) return std::unexpected(DsnError::bad_value);
  auto address = decode_xtext(value.substr(semicolon + 1));
  if (!address) return std::unexpected(address.error());
  if (address->empty() || !printable_ascii(*address)) return std::unexpected(DsnError::bad_value);
  into.orcpt = queue::OriginalRecipient{std::string(type), std::move(*address)};
  return {};
}

}  // namespace mxrelay::mta
