// Tests for conf::parse_port.
#include "conf/port.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace mxrelay::conf {
namespace {

TEST(ParsePort, Table) {
  struct Row {
    const char* text;
    std::optional<std::uint16_t> expected;
  } rows[] = {
      {"25", 25},
      {"0", 0},
      {"65535", 65535},
      {"65536", std::nullopt},
      {"", std::nullopt},
      {"-1", std::nullopt},
      {"+25", std::nullopt},
      {" 25", std::nullopt},
      {"25 ", std::nullopt},
      {"smtp", std::nullopt},
  };
  for (const auto& row : rows) EXPECT_EQ(parse_port(row.text), row.expected) << row.text;
}

}  // namespace
}  // namespace mxrelay::conf
