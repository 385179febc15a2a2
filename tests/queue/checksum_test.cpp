// Tests: CRC-32 against published check values, splitting the input anywhere gives the same
// result, and a record written by the slicing-by-8 code zlib replaced still decodes.
#include "queue/checksum.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "queue/message_record.hpp"

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

TEST(Crc32, ARecordWrittenByTheFormerCodeStillDecodes) {
  std::ifstream in(MXRELAY_SPOOL_FIXTURE, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(bytes.size(), 3000u);
  const auto record = decode_record(bytes);
  ASSERT_TRUE(record) << record.error();
  EXPECT_EQ(record->envelope.recipients.size(), 1u);
  EXPECT_EQ(encode_record(record->envelope, record->body), bytes);
}

}  // namespace
}  // namespace mxrelay::queue
