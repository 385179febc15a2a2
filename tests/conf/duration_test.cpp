// Tests for conf::parse_duration and conf::parse_duration_ms.
#include "conf/duration.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace mxrelay::conf {
namespace {

using std::chrono::seconds;

TEST(ParseDuration, Table) {
  struct Row {
    const char* text;
    std::optional<seconds> expected;
  } rows[] = {
      {"90s", seconds(90)},
      {"5m", seconds(300)},
      {"4h", seconds(4 * 3600)},
      {"5d", seconds(5 * 86400)},
      {"0", seconds(0)},
      {"0s", seconds(0)},
      {"007m", seconds(420)},
      {"106751991167300d", seconds(106751991167300LL * 86400)},
      {"106751991167301d", std::nullopt},
      {"99999999999999999999s", std::nullopt},
      {"", std::nullopt},
      {"s", std::nullopt},
      {"5", std::nullopt},
      {"5 days", std::nullopt},
      {"5 m", std::nullopt},
      {" 5m", std::nullopt},
      {"5m ", std::nullopt},
      {"5ms", std::nullopt},
      {"5M", std::nullopt},
      {"5w", std::nullopt},
      {"-5m", std::nullopt},
      {"+5m", std::nullopt},
      {"1.5h", std::nullopt},
      {"1h30m", std::nullopt},
  };
  for (const auto& row : rows) EXPECT_EQ(parse_duration(row.text), row.expected) << row.text;
}

TEST(ParseDurationMs, Table) {
  using std::chrono::milliseconds;
  struct Row {
    const char* text;
    std::optional<milliseconds> expected;
  } rows[] = {
      {"200ms", milliseconds(200)},
      {"0ms", milliseconds(0)},
      {"0", milliseconds(0)},
      {"2s", milliseconds(2000)},
      {"1m", milliseconds(60000)},
      {"9223372036854775807ms", milliseconds(9223372036854775807LL)},
      {"9223372036854775808ms", std::nullopt},
      {"106751991167300d", std::nullopt},
      {"ms", std::nullopt},
      {"200", std::nullopt},
      {"200 ms", std::nullopt},
      {"200MS", std::nullopt},
      {"-5ms", std::nullopt},
      {"1.5ms", std::nullopt},
      {"200us", std::nullopt},
      {"1s200ms", std::nullopt},
  };
  for (const auto& row : rows) EXPECT_EQ(parse_duration_ms(row.text), row.expected) << row.text;
}

}  // namespace
}  // namespace mxrelay::conf
