// core: the RFC 5322 date-time used in mail headers (Date:, Received:, DSN fields), in UTC:
// "Wed, 25 Nov 2026 14:35:22 +0000".
#pragma once

#include <cstdint>
#include <string>

namespace mxrelay::core {

std::string rfc5322_date(std::int64_t unix_seconds);

}  // namespace mxrelay::core
