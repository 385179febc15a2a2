// Tests for conf::parse_byte_size.
#include "conf/byte_size.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace mxrelay::conf {
namespace {

TEST(ParseByteSize, Table) {
  struct Row {
    const char* text;
    std::optional<std::uint64_t> expected;
  } rows[] = {
      {"512B", 512},
      {"0B", 0},
      {"10KB", 10'000},
      {"10MB", 10'000'000},
      {"2GB", 2'000'000'000},
      {"10KiB", 10 * 1024},
      {"50MiB", 50 * 1024 * 1024},
      {"3GiB", 3ULL * 1024 * 1024 * 1024},
      {"18446744073709551615B", 18446744073709551615ULL},
      {"18446744073709551616B", std::nullopt},
      {"17179869184GiB", std::nullopt},
      {"", std::nullopt},
      {"1024", std::nullopt},
      {"MiB", std::nullopt},
      {"50 MiB", std::nullopt},
      {"50mib", std::nullopt},
      {"50Mb", std::nullopt},
      {"50iB", std::nullopt},
      {"50TB", std::nullopt},
      {"1.5MiB", std::nullopt},
      {"-1B", std::nullopt},
      {"+1B", std::nullopt},
  };
  for (const auto& row : rows) EXPECT_EQ(parse_byte_size(row.text), row.expected) << row.text;
}

}  // namespace
}  // namespace mxrelay::conf
