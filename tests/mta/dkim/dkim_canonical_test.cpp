// tests/mta/dkim: relaxed canonicalisation, with RFC 6376 3.4.5's example and the edge cases
// of 3.4.2 and 3.4.4.
#include "mta/dkim/dkim_canonical.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::dkim {
namespace {

TEST(DkimCanonical, RfcExampleHeaders) {
  EXPECT_EQ(relaxed_header("A: X"), "a:X\r\n");
  EXPECT_EQ(relaxed_header("B : Y\t\r\n\tZ  "), "b:Y Z\r\n");
}

TEST(DkimCanonical, RfcExampleBody) {
  EXPECT_EQ(relaxed_body(" C \r\nD \t E\r\n\r\n\r\n"), " C\r\nD E\r\n");
}

TEST(DkimCanonical, HeaderEdgeCases) {
  struct Row {
    const char* field;
    const char* canonical;
  };
  for (const auto& row : std::initializer_list<Row>{
           {"Subject:", "subject:\r\n"},
           {"Subject:   ", "subject:\r\n"},
           {"SUBJECT:\r\n folded", "subject:folded\r\n"},
           {"To: a@b,\r\n\t  c@d", "to:a@b, c@d\r\n"},
           {"X-Mixed:\ta \t b\t", "x-mixed:a b\r\n"},
       }) {
    EXPECT_EQ(relaxed_header(row.field), row.canonical) << row.field;
  }
}

TEST(DkimCanonical, BodyEdgeCases) {
  struct Row {
    const char* body;
    const char* canonical;
  };
  for (const auto& row : std::initializer_list<Row>{
           {"", ""},
           {"\r\n", ""},
           {"\r\n\r\n", ""},
           {"  \r\n\t\r\n", ""},
           {"text", "text\r\n"},
           {"a\r\n\r\nb\r\n\r\n", "a\r\n\r\nb\r\n"},
           {"trailing \t\r\n", "trailing\r\n"},
           {"\tleading\r\n", " leading\r\n"},
       }) {
    EXPECT_EQ(relaxed_body(row.body), row.canonical) << row.body;
  }
}

}  // namespace
}  // namespace mxrelay::mta::dkim
