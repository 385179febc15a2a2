// mta/dkim: the domain of the message's author, from its From: field (RFC 5322 3.6.2), which
// decides whether and with which key the relay signs, and what DMARC aligns with. Only one
// From: field with exactly one address gives a domain: a message without one, or with several
// authors, is sent unsigned (RFC 6376 signs for one domain; DMARC refuses to pick one).
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "mta/protocol/header_fields.hpp"

namespace mxrelay::mta::dkim {

enum class Unsigned {
  no_from,           // no From: field, or one without an address
  several_authors,   // several From: fields, or several addresses in one
  no_key,            // the author's domain matches no [[dkim]] domain
  malformed_header,  // a header line without a colon: verifiers would not agree on it
};

// "no_from", "several_authors", "no_key", "malformed_header": the metric label.
const char* to_string(Unsigned reason);

// The author's domain in lower case (A-labels stay as written), or why there is none.
std::expected<std::string, Unsigned> author_domain(const MessageParts& parts);

}  // namespace mxrelay::mta::dkim
