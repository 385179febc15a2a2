// mta/protocol: the SMTP syntax of the DSN extension's envelope parameters (RFC 3461): RET and
// ENVID on MAIL, NOTIFY and ORCPT on RCPT, and the xtext encoding they travel in (RFC 3461 4).
// Parsing is strict: malformed xtext, unknown keywords and decoded CR, LF or NUL are refused,
// so what is kept here is safe to store and to pass on. The values are the queue's types.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "queue/dsn_parameters.hpp"

namespace mxrelay::mta {

// The MAIL FROM parameters of one transaction.
struct MessageDsn {
  queue::DsnRet ret = queue::DsnRet::unspecified;
  std::string envid;  // decoded ENVID; "" when not given
  bool operator==(const MessageDsn&) const = default;
};

enum class DsnError {
  bad_xtext,        // not xtext, or a "+XX" escape that is malformed
  forbidden_octet,  // the decoded value holds CR, LF or NUL
  bad_value,        // a value outside the parameter's grammar or size limit, or a decoded
                    // ENVID or ORCPT address that is not printable US-ASCII (RFC 3461 4.2, 4.4)
};

// xtext = *( xchar / hexchar ); xchar is "!".."~" except "+" and "="; hexchar is "+" and two
// upper-case hex digits.
std::expected<std::string, DsnError> decode_xtext(std::string_view xtext);
// Encodes any octets as xtext (for passing parameters on to a next hop).
std::string encode_xtext(std::string_view text);

std::expected<queue::DsnRet, DsnError> parse_dsn_ret(std::string_view value);
std::expected<std::string, DsnError> parse_dsn_envid(std::string_view value);
std::expected<queue::DsnNotify, DsnError> parse_dsn_notify(std::string_view value);
// Sets the orcpt of `into` from "addr-type;xtext".
std::expected<void, DsnError> parse_dsn_orcpt(std::string_view value, queue::RecipientDsn& into);

}  // namespace mxrelay::mta
