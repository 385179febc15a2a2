// mta/dkim: the "relaxed" canonicalisation of RFC 6376 3.4.2 (header fields) and 3.4.4 (body),
// the only one mxrelay signs with: it survives the re-folding and whitespace changes that
// relays commonly make.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::mta::dkim {

// One header field (name, colon, value with its folded lines; no final CRLF): name in lower
// case, value unfolded, runs of whitespace as one space, none around the colon or at the end;
// followed by CRLF.
std::string relaxed_header(std::string_view field);

// The body (CRLF lines): whitespace runs as one space, none at line ends, empty lines at the
// end removed; a non-empty result ends in CRLF.
std::string relaxed_body(std::string_view body);

}  // namespace mxrelay::mta::dkim
