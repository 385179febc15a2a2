// mta/protocol: the TLS-Required header field (RFC 8689 section 5). "TLS-Required: No" asks
// that the sender-side TLS policies (MTA-STS, DANE) be relaxed for this message; it is
// ignored when the message was received with REQUIRETLS. Pure.
#pragma once

#include <string_view>

namespace mxrelay::mta {

// True when the header section of `message` (CRLF lines) has a TLS-Required field whose
// value is "No" (ASCII case and surrounding white space ignored).
bool tls_required_no(std::string_view message);

}  // namespace mxrelay::mta
