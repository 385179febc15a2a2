// Tests for to_a_label_domain (U-labels to A-labels, case and trailing dots) and
// to_u_label_domain (the display form).
#include "conf/idna.hpp"

#include <gtest/gtest.h>

namespace mxrelay::conf {
namespace {

TEST(Idna, ConvertsToCanonicalALabels) {
  struct Row {
    const char* input;
    const char* expected;
  } rows[] = {
      {"example.com", "example.com"},
      {"Example.COM.", "example.com"},
      {"XN--BCHER-KVA.example", "xn--bcher-kva.example"},
      {"bücher.example", "xn--bcher-kva.example"},
      {"BÜCHER.Example.", "xn--bcher-kva.example"},
      {"café.example", "xn--caf-dma.example"},
      {"例え.テスト", "xn--r8jz45g.xn--zckzah"},
  };
  for (const auto& row : rows) {
    auto converted = to_a_label_domain(row.input);
    ASSERT_TRUE(converted) << row.input << ": " << converted.error();
    EXPECT_EQ(*converted, row.expected) << row.input;
  }
}

TEST(Idna, RejectsInvalidInternationalisedNames) {
  for (const char* input : {"-bücher.example", "bücher-.example", "bü\xff.example"}) {
    auto converted = to_a_label_domain(input);
    ASSERT_FALSE(converted) << input;
    EXPECT_FALSE(converted.error().empty()) << input;
  }
  auto with_nul = to_a_label_domain(std::string_view("b\xc3\xbc\0x.example", 12));
  ASSERT_FALSE(with_nul);
  EXPECT_EQ(with_nul.error(), "contains a NUL character");
}

TEST(Idna, UnicodeFormForDisplay) {
  struct Row {
    const char* input;
    const char* expected;
  } rows[] = {
      {"xn--bcher-kva.example", "bücher.example"},
      {"Bücher.Example", "bücher.example"},
      {"example.com", ""},
      {"xn--zz.example", ""},
      {"\xe2\x98\x83.example", ""},
  };
  for (const auto& row : rows) EXPECT_EQ(to_u_label_domain(row.input), row.expected) << row.input;
}

}  // namespace
}  // namespace mxrelay::conf
