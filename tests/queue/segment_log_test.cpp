// tests/queue: the spool's segment log on a real folder: durable appends with their
// locations, group commit (lazy frames ride on the next sync), every start on a new segment
// with the old ones read back whole, segments rolled at their size and removed, zero-filled
// segments, and a damaged frame refused by read() while scan() keeps the others.
#include "queue/segment_log.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <future>
#include <string>
#include <vector>

namespace mxrelay::queue {
namespace {

class SegmentLogTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/mxrelay-segment-log-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Appends and waits until durable.
  static SegmentLog::Location append(SegmentLog& log, std::uint8_t kind, std::string payload) {
    std::promise<std::expected<SegmentLog::Location, core::Failure>> done;
    auto result = done.get_future();
    log.append(kind, std::move(payload),
               [&done](std::expected<SegmentLog::Location, core::Failure> location) {
                 done.set_value(std::move(location));
               });
    auto location = result.get();
    EXPECT_TRUE(location) << (location ? "" : location.error().str());
    return location.value_or(SegmentLog::Location{});
  }

  std::filesystem::path dir_;
  SegmentLog::Options small_{.segment_size = 4096, .zero_fill = false};
};

TEST_F(SegmentLogTest, AnAppendIsReadBackAtItsLocation) {
  SegmentLog log(dir_, small_);
  const auto first = append(log, 'M', "the first record");
  const auto second = append(log, 'R', "");
  EXPECT_EQ(first.segment, log.current_segment());
  EXPECT_EQ(second.offset, first.offset + kLogFrameHeader + first.size);
  EXPECT_EQ(log.read(first).value(), "the first record");
  EXPECT_EQ(log.read(second).value(), "");
}

TEST_F(SegmentLogTest, LazyFramesWaitForTheNextSync) {
  SegmentLog log(dir_, small_);
  const auto before = log.syncs();
  for (int i = 0; i < 10; ++i) log.append_lazy('R', "removed " + std::to_string(i));
  append(log, 'M', "durable");
  EXPECT_EQ(log.syncs(), before + 1);
}

TEST_F(SegmentLogTest, ConcurrentAppendsShareSyncs) {
  SegmentLog log(dir_, SegmentLog::Options{.segment_size = 1 << 20, .zero_fill = false});
  constexpr int kAppends = 500;
  std::vector<std::promise<bool>> done(kAppends);
  const auto before = log.syncs();
  for (int i = 0; i < kAppends; ++i)
    log.append('M', std::string(100, 'x'),
               [&done, i](std::expected<SegmentLog::Location, core::Failure> location) {
                 done[static_cast<std::size_t>(i)].set_value(location.has_value());
               });
  for (auto& one : done) EXPECT_TRUE(one.get_future().get());
  // Appends queued while a sync runs go together in the next one.
  EXPECT_LT(log.syncs() - before, static_cast<std::uint64_t>(kAppends) / 2);
}

TEST_F(SegmentLogTest, AStartOpensANewSegmentAndTheOldOneIsScannedWhole) {
  std::uint64_t old_segment = 0;
  {
    SegmentLog log(dir_, small_);
    old_segment = log.current_segment();
    append(log, 'M', "kept");
    log.append_lazy('R', "kept too");  // written and synced when the log closes
  }
  SegmentLog log(dir_, small_);
  EXPECT_EQ(log.current_segment(), old_segment + 1);
  EXPECT_EQ(log.segments(), (std::vector<std::uint64_t>{old_segment, old_segment + 1}));
  const auto scanned = log.scan(old_segment);
  ASSERT_TRUE(scanned);
  ASSERT_EQ(scanned->scan.frames.size(), 2u);
  EXPECT_EQ(scanned->scan.frames[0].kind, 'M');
  EXPECT_EQ(scanned->scan.frames[0].payload, "kept");
  EXPECT_EQ(scanned->scan.frames[1].payload, "kept too");
  EXPECT_TRUE(scanned->scan.damage.empty());
}

TEST_F(SegmentLogTest, SegmentsRollAtTheirSizeAndOldOnesCanBeRemoved) {
  SegmentLog log(dir_, small_);
  std::vector<SegmentLog::Location> locations;
  for (int i = 0; i < 20; ++i) locations.push_back(append(log, 'M', std::string(500, 'a' + i)));
  const auto segments = log.segments();
  ASSERT_GE(segments.size(), 3u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(log.read(locations[static_cast<std::size_t>(i)]).value(), std::string(500, 'a' + i));
  for (const auto& segment : segments)
    EXPECT_LE(std::filesystem::file_size(dir_ / (std::to_string(segment) + ".seg")), 4096u);
  ASSERT_TRUE(log.remove_segment(segments.front()));
  EXPECT_EQ(log.segments().front(), segments[1]);
  EXPECT_FALSE(log.read(locations.front()));
  EXPECT_THROW((void)log.remove_segment(log.current_segment()), std::logic_error);
}

TEST_F(SegmentLogTest, AZeroFilledSegmentHasItsFullSizeAndEndsWhereTheWritesEnd) {
  std::uint64_t segment = 0;
  {
    SegmentLog log(dir_, SegmentLog::Options{.segment_size = 1 << 16, .zero_fill = true});
    segment = log.current_segment();
    append(log, 'M', "one");
    append(log, 'M', "two");
    EXPECT_EQ(std::filesystem::file_size(dir_ / (std::to_string(segment) + ".seg")), 1u << 16);
  }
  SegmentLog log(dir_, small_);
  const auto scanned = log.scan(segment);
  ASSERT_TRUE(scanned);
  ASSERT_EQ(scanned->scan.frames.size(), 2u);
  EXPECT_TRUE(scanned->scan.damage.empty());
  EXPECT_EQ(scanned->scan.end, 64 + 2 * kLogFrameHeader + 6);
}

TEST_F(SegmentLogTest, ADamagedFrameIsRefusedAndTheOthersAreKept) {
  SegmentLog::Location damaged;
  std::uint64_t segment = 0;
  {
    SegmentLog log(dir_, small_);
    segment = log.current_segment();
    append(log, 'M', "before");
    damaged = append(log, 'M', "damaged");
    append(log, 'M', "after");
  }
  {
    std::fstream file(dir_ / (std::to_string(segment) + ".seg"),
                      std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(damaged.offset + kLogFrameHeader + 2));
    file.put('#');
  }
  SegmentLog log(dir_, small_);
  const auto refused = log.read(damaged);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().status.str(), "4.3.0");
  const auto scanned = log.scan(segment);
  ASSERT_TRUE(scanned);
  ASSERT_EQ(scanned->scan.frames.size(), 2u);
  EXPECT_EQ(scanned->scan.frames[0].payload, "before");
  EXPECT_EQ(scanned->scan.frames[1].payload, "after");
  ASSERT_EQ(scanned->scan.damage.size(), 1u);
  EXPECT_EQ(scanned->scan.damage[0].offset, damaged.offset);
}

}  // namespace
}  // namespace mxrelay::queue
