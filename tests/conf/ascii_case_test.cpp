// tests/conf: the ASCII case helpers: only A-Z fold, every other octet is compared as it is.
#include "core/ascii_case.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::core {
namespace {

TEST(AsciiCase, ContainsIgnoringCase) {
  struct Row {
    const char* text;
    const char* phrase;
    bool found;
  };
  const std::vector<Row> rows = {
      {"421 4.7.0 Too Many Connections", "too many connections", true},
      {"RATE LIMITED", "rate limited", true},
      {"[TSS04] deferred", "[tss04]", true},
      {"rate limi", "rate limit", false},
      {"", "a", false},
      {"anything", "", true},
      {"\xc3\x89T\xc3\x89", "\xc3\xa9t\xc3\xa9", false},  // only ASCII folds
  };
  for (const auto& row : rows)
    EXPECT_EQ(contains_ignoring_case(row.text, row.phrase), row.found)
        << row.text << " / " << row.phrase;
}

TEST(AsciiCase, EqualsAndLower) {
  EXPECT_TRUE(equals_ignoring_case("EHLO", "ehlo"));
  EXPECT_FALSE(equals_ignoring_case("EHLO", "ehl"));
  EXPECT_EQ(lower_ascii("Mail.EXAMPLE"), "mail.example");
  EXPECT_EQ(upper_ascii("rcpt"), "RCPT");
}

}  // namespace
}  // namespace mxrelay::core
