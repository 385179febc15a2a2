// Table tests for the RFC 6152 8-bit to 7-bit conversion.
#include "mta/protocol/eight_bit_downgrade.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxrelay::mta {
namespace {

const std::string mime = "MIME-Version: 1.0\r\n";

TEST(EightBitDowngrade, ConversionTable) {
  struct Row {
    std::string name;
    std::string input;
    std::string expected;  // "" when the conversion must fail with 5.6.3
  };
  const Row rows[] = {
      {"7-bit is unchanged", "Subject: a\r\n\r\nplain\r\n", "Subject: a\r\n\r\nplain\r\n"},
      {"7-bit without MIME is unchanged", "\r\nbody\r\n", "\r\nbody\r\n"},
      {"text without Content-Type becomes quoted-printable", mime + "\r\ncaf\xc3\xa9\r\n",
       mime + "Content-Transfer-Encoding: quoted-printable\r\n\r\ncaf=C3=A9\r\n"},
      {"existing 8bit encoding is replaced, folded fields kept",
       mime + "Content-Type: text/plain;\r\n charset=latin1\r\nContent-Transfer-Encoding: 8bit\r\n"
              "\r\n=\xe9 \r\n",
       mime + "Content-Type: text/plain;\r\n charset=latin1\r\n"
              "Content-Transfer-Encoding: quoted-printable\r\n\r\n=3D=E9=20\r\n"},
      {"non-text leaf becomes base64",
       mime + "Content-Type: application/octet-stream\r\n\r\n\xff\xfe",
       mime + "Content-Type: application/octet-stream\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n//4=\r\n"},
      {"multipart: only the 8-bit part changes",
       mime + "Content-Type: multipart/mixed; boundary=\"b 1\"\r\n\r\npre\r\n--b 1\r\n\r\nascii\r\n"
              "--b 1\r\nContent-Type: text/plain\r\n\r\n\xc3\xa9\r\n--b 1--\r\nepi\r\n",
       mime + "Content-Type: multipart/mixed; boundary=\"b 1\"\r\n\r\npre\r\n--b 1\r\n\r\nascii\r\n"
              "--b 1\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"
              "\r\n=C3=A9\r\n--b 1--\r\nepi\r\n"},
      {"not MIME", "Subject: a\r\n\r\n\xc3\xa9\r\n", ""},
      {"8-bit header", mime + "Subject: \xc3\xa9\r\n\r\nx\r\n", ""},
      {"8-bit in message/rfc822", mime + "Content-Type: message/rfc822\r\n\r\n\xc3\xa9\r\n", ""},
      {"declared binary", mime + "Content-Transfer-Encoding: binary\r\n\r\n\xc3\xa9\r\n", ""},
      {"8-bit in a base64 part", mime + "Content-Transfer-Encoding: base64\r\n\r\n\xc3\xa9\r\n",
       ""},
      {"multipart without boundary", mime + "Content-Type: multipart/mixed\r\n\r\n\xc3\xa9\r\n",
       ""},
      {"multipart without closing delimiter",
       mime + "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n\r\n\xc3\xa9\r\n", ""},
      {"8-bit preamble",
       mime +
           "Content-Type: multipart/mixed; boundary=x\r\n\r\n\xc3\xa9\r\n--x\r\n\r\na\r\n--x--\r\n",
       ""},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    const auto converted = downgrade_to_seven_bit(row.input);
    if (row.expected.empty()) {
      ASSERT_FALSE(converted);
      EXPECT_EQ(converted.error().str().substr(0, 9), "554 5.6.3");
    } else {
      ASSERT_TRUE(converted) << converted.error().str();
      EXPECT_EQ(*converted, row.expected);
      EXPECT_FALSE(has_eight_bit(*converted));
    }
  }
}

TEST(EightBitDowngrade, NestingDeeperThanTheLimitFails) {
  std::string message = mime;
  for (std::size_t i = 0; i <= max_mime_depth + 1; ++i)
    message += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
               std::to_string(i) + "\r\n";
  message += "\r\n\xc3\xa9\r\n";
  for (std::size_t i = max_mime_depth + 2; i-- > 0;)
    message += "--b" + std::to_string(i) + "--\r\n";
  EXPECT_FALSE(downgrade_to_seven_bit(message));
}

TEST(QuotedPrintable, LongLinesGetSoftBreaksWithin76Characters) {
  const std::string line(200, '\xe9');
  const auto encoded = quoted_printable(line + "\r\n" + std::string(100, 'a'));
  std::size_t start = 0;
  std::size_t lines = 0;
  while (start < encoded.size()) {
    auto end = encoded.find("\r\n", start);
    if (end == std::string::npos) end = encoded.size();
    EXPECT_LE(end - start, 76u);
    start = end + 2;
    ++lines;
  }
  EXPECT_EQ(lines, 10u);  // 600 encoded characters in 8 lines, then 100 characters in 2
}

TEST(Base64Lines, WrapsAt76) {
  const auto encoded = base64_lines(std::string(60, 'x'));
  EXPECT_EQ(encoded.size(), 80u + 2u + 2u);
  EXPECT_EQ(encoded.substr(76, 2), "\r\n");
}

}  // namespace
}  // namespace mxrelay::mta
