// Tests for retry intervals, jitter and queue lifetime.
#include "queue/retry_schedule.hpp"

#include <gtest/gtest.h>

namespace mxrelay::queue {
namespace {

using std::chrono::seconds;

TEST(RetrySchedule, IntervalsWithLastRepeating) {
  std::vector<seconds> intervals{seconds(300), seconds(600), seconds(1800)};
  struct Row {
    std::size_t attempts;
    long long expected;
  } rows[] = {{0, 300}, {1, 300}, {2, 600}, {3, 1800}, {4, 1800}, {100, 1800}};
  for (const auto& row : rows)
    EXPECT_EQ(retry_delay(row.attempts, intervals, 0.5).count(), row.expected) << row.attempts;
}

TEST(RetrySchedule, JitterStaysWithinTenPercent) {
  std::vector<seconds> intervals{seconds(1000)};
  EXPECT_EQ(retry_delay(1, intervals, 0.0).count(), 900);
  EXPECT_EQ(retry_delay(1, intervals, 0.999999).count(), 1100);
  EXPECT_EQ(retry_delay(1, {seconds(1)}, 0.0).count(), 1);  // never zero
}

TEST(RetrySchedule, Expiry) {
  auto arrival = Clock::time_point(seconds(1000));
  EXPECT_FALSE(has_expired(arrival, arrival + seconds(99), seconds(100)));
  EXPECT_TRUE(has_expired(arrival, arrival + seconds(100), seconds(100)));
}

}  // namespace
}  // namespace mxrelay::queue
