// mta/protocol: RFC 6152 3 conversion of 8-bit MIME content to 7 bit for a next hop without
// 8BITMIME. MIME-aware for simple cases: 8-bit text leaf parts become quoted-printable, other
// 8-bit leaf parts base64, multiparts are walked recursively, everything already 7-bit is
// copied unchanged. What cannot be converted faithfully fails with 554 5.6.3: a message
// without MIME-Version, 8-bit octets in header fields, in message/* parts, in the preamble
// or epilogue of a multipart, in parts declared binary or already encoded, a multipart
// without its boundary, or nesting deeper than max_mime_depth.
#pragma once

#include <cstddef>
#include <expected>
#include <string>
#include <string_view>

#include "core/smtp_status.hpp"

namespace mxrelay::mta {

inline constexpr std::size_t max_mime_depth = 20;

// True when any octet is 0x80 or above.
bool has_eight_bit(std::string_view data);

// The message (canonical CRLF lines) converted to 7 bit, or why it cannot be.
std::expected<std::string, core::Failure> downgrade_to_seven_bit(std::string_view message);

// RFC 2045 6.7 encoding of CRLF lines: lines end in CRLF, encoded lines stay within 76
// characters using soft line breaks, trailing space and tab are encoded.
std::string quoted_printable(std::string_view text);
// RFC 2045 6.8 with CRLF after every 76 characters.
std::string base64_lines(std::string_view bytes);

}  // namespace mxrelay::mta
