// tests/queue: spool log framing and the scan: frames read back in order, the end of the
// written data (segment end or zero fill), and damage (a flipped bit, a torn tail, garbage)
// reported as ranges while every intact frame around it is still read.
#include "queue/log_frame.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::queue {
namespace {

constexpr LogKey kKey = {1, 2, 3, 4, 5, 6, 7, 8};

std::string encode_log_frame(std::uint8_t kind, std::string_view payload) {
  return queue::encode_log_frame(kKey, kind, payload);
}

LogScan scan_log(std::string_view segment) {
  return queue::scan_log(kKey, segment);
}

std::string frames(const std::vector<std::string>& payloads) {
  std::string out;
  for (const auto& payload : payloads) out += encode_log_frame('M', payload);
  return out;
}

std::vector<std::string> payloads_of(const LogScan& scan) {
  std::vector<std::string> out;
  for (const auto& frame : scan.frames) out.emplace_back(frame.payload);
  return out;
}

TEST(LogFrame, FramesAreReadBackInOrderWithKindAndOffset) {
  auto segment = encode_log_frame('M', "first") + encode_log_frame('R', "") +
                 encode_log_frame('M', std::string(70000, 'x'));
  const auto scan = scan_log(segment);
  ASSERT_EQ(scan.frames.size(), 3u);
  EXPECT_EQ(scan.frames[0].kind, 'M');
  EXPECT_EQ(scan.frames[0].payload, "first");
  EXPECT_EQ(scan.frames[1].kind, 'R');
  EXPECT_EQ(scan.frames[1].offset, kLogFrameHeader + 5);
  EXPECT_EQ(scan.frames[2].payload.size(), 70000u);
  EXPECT_TRUE(scan.damage.empty());
  EXPECT_EQ(scan.end, segment.size());
}

TEST(LogFrame, AZeroFilledRestIsUnwrittenNotDamage) {
  const auto written = frames({"a", "b"});
  const auto segment = written + std::string(4096, '\0');
  const auto scan = scan_log(segment);
  EXPECT_EQ(payloads_of(scan), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(scan.damage.empty());
  EXPECT_EQ(scan.end, written.size());
  EXPECT_EQ(scan_log(std::string(100, '\0')).end, 0u);
  EXPECT_EQ(scan_log("").end, 0u);
}

TEST(LogFrame, DamageIsReportedAndTheScanGoesOnAfterIt) {
  const auto one = encode_log_frame('M', "one");
  const auto two = encode_log_frame('M', "two");
  const auto three = encode_log_frame('M', "three");
  const auto intact = one + two + three;
  struct Row {
    const char* name;
    std::size_t flip;  // byte of `two` to flip
  };
  const std::vector<Row> rows = {
      {"magic", 1},        {"kind", 4},        {"reserved", 6}, {"length", 8},
      {"payload crc", 13}, {"header crc", 17}, {"payload", 21},
  };
  for (const auto& row : rows) {
    auto segment = intact;
    segment[one.size() + row.flip] ^= 0x10;
    const auto scan = scan_log(segment);
    EXPECT_EQ(payloads_of(scan), (std::vector<std::string>{"one", "three"})) << row.name;
    ASSERT_EQ(scan.damage.size(), 1u) << row.name;
    EXPECT_EQ(scan.damage[0].offset, one.size()) << row.name;
    EXPECT_EQ(scan.damage[0].length, two.size()) << row.name;
    EXPECT_FALSE(scan.damage[0].torn_tail) << row.name;
    EXPECT_EQ(scan.end, segment.size()) << row.name;
  }
}

TEST(LogFrame, ATornTailIsDamageToTheEndOfTheWrittenData) {
  const auto whole = frames({"kept", "cut short"});
  const auto kept = encode_log_frame('M', "kept").size();
  for (std::size_t cut = kept + 1; cut < whole.size(); ++cut) {
    for (const bool zero_filled : {false, true}) {
      auto segment = whole.substr(0, cut);
      if (zero_filled) segment += std::string(64, '\0');
      const auto scan = scan_log(segment);
      EXPECT_EQ(payloads_of(scan), std::vector<std::string>{"kept"}) << cut;
      ASSERT_EQ(scan.damage.size(), 1u) << cut;
      EXPECT_TRUE(scan.damage[0].torn_tail) << cut;
      EXPECT_EQ(scan.damage[0].offset, kept) << cut;
      EXPECT_LE(scan.end, cut) << cut;
      EXPECT_GT(scan.end, kept) << cut;
    }
  }
}

TEST(LogFrame, AFrameMadeWithoutTheSegmentsKeyNeverChecksOut) {
  // A sender may put a frame into a message body; without the key it is not a record, even
  // when the scan looks for the next frame after damage right before it.
  LogKey other = kKey;
  other[0] ^= 1;
  const auto forged = queue::encode_log_frame(other, 'M', "forged envelope");
  auto outer = encode_log_frame('M', "body: " + forged);
  outer[0] = 'X';  // the outer frame is damaged
  const auto scan = scan_log(outer);
  EXPECT_TRUE(scan.frames.empty());
  ASSERT_EQ(scan.damage.size(), 1u);
  EXPECT_TRUE(scan.damage[0].torn_tail);
  EXPECT_EQ(payloads_of(queue::scan_log(other, forged)),
            std::vector<std::string>{"forged envelope"});
}

TEST(LogFrame, AnAbsurdLengthIsDamageAndAFrameInsideAPayloadIsNotReadAsOne) {
  // A payload that itself holds a frame is one record.
  const auto inner = encode_log_frame('R', "inner");
  const auto outer = encode_log_frame('M', inner);
  EXPECT_EQ(payloads_of(scan_log(outer)), std::vector<std::string>{inner});
  // Garbage before a good frame: one damaged range, then the frame.
  const auto segment = "garbage!" + encode_log_frame('M', "after");
  const auto scan = scan_log(segment);
  EXPECT_EQ(payloads_of(scan), std::vector<std::string>{"after"});
  ASSERT_EQ(scan.damage.size(), 1u);
  EXPECT_EQ(scan.damage[0].length, 8u);
  // A header announcing 4 GiB.
  auto huge = encode_log_frame('M', "x");
  huge[8] = huge[9] = huge[10] = huge[11] = '\xff';
  EXPECT_TRUE(scan_log(huge).frames.empty());
}

}  // namespace
}  // namespace mxrelay::queue
