// Tests: CRC-32 against published check values, and that splitting the input anywhere
// gives the same result (the eight-byte fast path and the byte tail must agree).
#include "queue/checksum.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxrelay::queue {
namespace {

struct KnownValue {
  std::string input;
  std::uint32_t crc;
};

TEST(Crc32, MatchesPublishedCheckValues) {
  const KnownValue cases[] = {
      {"", 0x00000000u},
      {"a", 0xE8B7BE43u},
      {"123456789", 0xCBF43926u},
      {"The quick brown fox jumps over the lazy dog", 0x414FA339u},
  };
  for (const auto& c : cases) EXPECT_EQ(crc32(c.input), c.crc) << c.input;
}

TEST(Crc32, IsTheSameWhateverTheSplit) {
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>((i * 131) & 0xff));
  const auto whole = crc32(data);
  for (std::size_t split = 0; split <= 40; ++split) {
    auto first = std::string_view(data).substr(0, split);
    auto rest = std::string_view(data).substr(split);
    EXPECT_EQ(crc32(rest, crc32(first)), whole) << split;
  }
}

}  // namespace
}  // namespace mxrelay::queue
