// Tests for enhanced status codes and Failure formatting.
#include "core/smtp_status.hpp"

#include <gtest/gtest.h>

namespace mxrelay::core {
namespace {

TEST(EnhancedStatus, ParseTable) {
  struct Row {
    const char* text;
    bool ok;
    EnhancedStatus value;
  } rows[] = {
      {"2.0.0", true, {2, 0, 0}},
      {"4.4.3 DNS trouble", true, {4, 4, 3}},
      {"5.1.10", true, {5, 1, 10}},
      {"5.7.123", true, {5, 7, 123}},
      {"3.0.0", false, {}},
      {"5.1", false, {}},
      {"5..1", false, {}},
      {"5.1.1x", false, {}},
      {"5.1234.1", false, {}},
      {"", false, {}},
      {"Ok", false, {}},
  };
  for (const auto& row : rows) {
    auto parsed = EnhancedStatus::parse(row.text);
    ASSERT_EQ(parsed.has_value(), row.ok) << row.text;
    if (row.ok) {
      EXPECT_EQ(*parsed, row.value) << row.text;
    }
  }
}

TEST(Failure, FormatsAsReply) {
  auto f = Failure::permanent(556, {5, 1, 10}, "Recipient domain has a null MX");
  EXPECT_TRUE(f.is_permanent());
  EXPECT_EQ(f.str(), "556 5.1.10 Recipient domain has a null MX");
  EXPECT_FALSE(Failure::temporary(451, {4, 4, 3}, "x").is_permanent());
}

}  // namespace
}  // namespace mxrelay::core
