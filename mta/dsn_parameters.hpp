// mta: the SMTP DSN extension's envelope parameters (RFC 3461): RET and ENVID on MAIL,
// NOTIFY and ORCPT on RCPT, and the xtext encoding they travel in (RFC 3461 4). Parsing is
// strict: malformed xtext, unknown keywords and decoded CR, LF or NUL are refused, so what
// is kept here is safe to store and to pass on. The queue mirrors these plain values.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::mta {

// RET= (RFC 3461 4.3): how much of the message a failure DSN returns.
enum class DsnReturn { unspecified, full, headers };

// NOTIFY= (RFC 3461 4.1): when the recipient's DSN is wanted. `never` excludes the others.
struct DsnNotify {
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;
  bool operator==(const DsnNotify&) const = default;
};

// The MAIL FROM parameters of one transaction.
struct MessageDsn {
  DsnReturn ret = DsnReturn::unspecified;
  std::string envid;  // decoded ENVID; "" when not given
  bool operator==(const MessageDsn&) const = default;
};

// The RCPT TO parameters of one recipient.
struct RecipientDsn {
  std::optional<DsnNotify> notify;  // nullopt: NOTIFY not given (the default applies)
  std::string orcpt_type;           // ORCPT addr-type, e.g. "rfc822"; "" when not given
  std::string orcpt_address;        // ORCPT address, xtext-decoded
  bool operator==(const RecipientDsn&) const = default;
};

enum class DsnError {
  bad_xtext,        // not xtext, or a "+XX" escape that is malformed
  forbidden_octet,  // the decoded value holds CR, LF or NUL
  bad_value,        // a value outside the parameter's grammar or size limit
};

// xtext = *( xchar / hexchar ); xchar is "!".."~" except "+" and "="; hexchar is "+" and two
// upper-case hex digits.
std::expected<std::string, DsnError> decode_xtext(std::string_view xtext);
// Encodes any octets as xtext (for passing parameters on to a next hop).
std::string encode_xtext(std::string_view text);

std::expected<DsnReturn, DsnError> parse_dsn_ret(std::string_view value);
std::expected<std::string, DsnError> parse_dsn_envid(std::string_view value);
std::expected<DsnNotify, DsnError> parse_dsn_notify(std::string_view value);
// Fills orcpt_type and orcpt_address of `into` from "addr-type;xtext".
std::expected<void, DsnError> parse_dsn_orcpt(std::string_view value, RecipientDsn& into);

}  // namespace mxrelay::mta
