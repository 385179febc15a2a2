// conf: the syntax of a mailbox address written in the configuration (queue.postmaster),
// checked without I/O.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::conf {

// "local@domain" with a dot-atom local part of at most 64 octets (RFC 5321 4.1.2, 4.5.3.1.1;
// quoted local parts are not accepted) and a host name domain, at most 254 octets in all.
// Gives the address with its domain canonical (A-label, lower case, no trailing dot), or
// std::nullopt.
std::optional<std::string> parse_mailbox_address(std::string_view text);

}  // namespace mxrelay::conf
