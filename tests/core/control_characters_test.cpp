// tests/core: control characters in quoted input become visible escapes.
#include "core/control_characters.hpp"

#include <gtest/gtest.h>

namespace mxrelay::core {
namespace {

TEST(ControlCharacters, AreEscapedAndTheRestKept) {
  EXPECT_EQ(escape_control_characters("plain text"), "plain text");
  EXPECT_EQ(escape_control_characters("a\tb\nc\rd"), "a\\x09b\\x0ac\\x0dd");
  EXPECT_EQ(escape_control_characters(std::string_view("\0\x1b\x7f", 3)), "\\x00\\x1b\\x7f");
  EXPECT_EQ(escape_control_characters("b\xc3\xbc"
                                      "cher"),
            "b\xc3\xbc"
            "cher");
}

}  // namespace
}  // namespace mxrelay::core
