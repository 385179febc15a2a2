// mta/sendmail: the addresses of an RFC 5322 address list (3.4), as To:, Cc: and Bcc: and
// sendmail's recipient arguments write them: "a@x", "Name <a@x>", "\"Doe, J.\" <j@x>",
// comments "(...)" (nested, anywhere), groups "Team: a@x, b@y;" and the empty group
// "undisclosed-recipients:;", a source route in "<@r:a@x>". Only the addr-specs are returned,
// in order, with whitespace between their tokens removed; no further syntax check. Pure.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta::sendmail {

// text: a field's value, unfolded or not (CR and LF count as white space). The error names an
// unterminated quoted string, comment or angle address.
std::expected<std::vector<std::string>, std::string> parse_address_list(std::string_view text);

}  // namespace mxrelay::mta::sendmail
