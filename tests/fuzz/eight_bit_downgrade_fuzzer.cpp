// tests/fuzz: the conversion of 8-bit content to 7 bit for a next hop without 8BITMIME
// (mta/protocol/eight_bit_downgrade) on arbitrary messages: nested MIME, broken boundaries,
// odd transfer encodings. Inputs that are not canonical CRLF lines of at most 998 octets
// without NUL (which the inbound session never accepts) only go through base64. Properties: a
// converted message holds only 7-bit octets in CRLF lines of at most 998 octets, and
// quoted-printable and base64 output keep their 76-octet lines.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "mta/protocol/eight_bit_downgrade.hpp"

namespace {

using mxrelay::fuzz::require;

// CRLF lines of at most `limit` octets (CRLF excluded), 7-bit, no NUL, no bare CR or LF.
void check_lines(std::string_view text, std::size_t limit, const char* what) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    require(c != 0 && c < 0x80, what);
    if (c == '\r') {
      require(i + 1 < text.size() && text[i + 1] == '\n', what);
      ++i;
      line = 0;
      continue;
    }
    require(c != '\n', what);
    require(++line <= limit, what);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mxrelay::fuzz::as_text(data, size);
  check_lines(mxrelay::mta::base64_lines(input), 76,
              "base64 is 7-bit CRLF lines of at most 76 octets");
  if (!mxrelay::fuzz::canonical_message(input)) return 0;
  if (const auto converted = mxrelay::mta::downgrade_to_seven_bit(input))
    check_lines(*converted, 998, "a converted message is 7-bit CRLF lines of at most 998 octets");
  check_lines(mxrelay::mta::quoted_printable(input), 76,
              "quoted-printable is 7-bit CRLF lines of at most 76 octets");
  return 0;
}
