// tests/mta/shaping: the rate bucket: its burst, its steady rate and spread reservations.
#include "mta/shaping/token_bucket.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = TokenBucket::Clock;

TEST(TokenBucket, BurstIsATenthOfThePerMinuteRate) {
  EXPECT_EQ(TokenBucket::burst_for(600), 60u);
  EXPECT_EQ(TokenBucket::burst_for(25), 2u);
  EXPECT_EQ(TokenBucket::burst_for(9), 1u);
  EXPECT_EQ(TokenBucket::burst_for(1), 1u);
}

TEST(TokenBucket, TheBurstLeavesAtOnceThenOneMessagePerInterval) {
  const auto start = Clock::time_point{} + seconds(1000);
  TokenBucket bucket(600);  // one every 100 ms, burst 60
  for (int i = 0; i < 60; ++i) EXPECT_EQ(bucket.reserve(start), start) << i;
  EXPECT_EQ(bucket.reserve(start), start + milliseconds(100));
  EXPECT_EQ(bucket.reserve(start), start + milliseconds(200));
  EXPECT_EQ(bucket.next_free(start), start + milliseconds(300));
}

TEST(TokenBucket, NoMoreThanTheRatePlusTheBurstLeavesInAMinute) {
  const auto start = Clock::time_point{} + seconds(1000);
  TokenBucket bucket(120);  // burst 12
  int within_a_minute = 0;
  for (int i = 0; i < 1000; ++i)
    if (bucket.reserve(start) < start + seconds(60)) ++within_a_minute;
  EXPECT_EQ(within_a_minute, 120 + 12 - 1);
}

TEST(TokenBucket, AnIdleBucketRefillsUpToItsBurstOnly) {
  auto now = Clock::time_point{} + seconds(1000);
  TokenBucket bucket(60);  // one a second, burst 6
  for (int i = 0; i < 6; ++i) bucket.reserve(now);
  now += seconds(3600);
  int immediate = 0;
  for (int i = 0; i < 20; ++i)
    if (bucket.reserve(now) == now) ++immediate;
  EXPECT_EQ(immediate, 6);
}

TEST(TokenBucket, ANewRateAppliesToLaterReservations) {
  const auto start = Clock::time_point{} + seconds(1000);
  TokenBucket bucket(60);  // burst 6, one a second
  for (int i = 0; i < 6; ++i) bucket.reserve(start);
  bucket.set_rate(30, start);  // burst 3, one every 2 s
  EXPECT_EQ(bucket.burst(), 3u);
  const auto next = bucket.reserve(start);
  EXPECT_GT(next, start);
  EXPECT_EQ(bucket.reserve(start) - next, seconds(2));
}

TEST(TokenBucket, ANewRateReSpacesTheReservedBacklog) {
  const auto start = Clock::time_point{} + seconds(1000);
  TokenBucket bucket(60);  // burst 6, one a second
  for (int i = 0; i < 26; ++i) bucket.reserve(start);
  EXPECT_EQ(bucket.next_free(start), start + seconds(21));  // 26 s of backlog, minus the burst
  bucket.set_rate(240, start);  // four times as fast: 6.5 s of backlog, burst 24 of 250 ms
  EXPECT_EQ(bucket.next_free(start) - start, milliseconds(750));
  TokenBucket slower(60);
  for (int i = 0; i < 26; ++i) slower.reserve(start);
  slower.set_rate(30, start);  // half as fast: 52 s of theoretical backlog, burst 3
  EXPECT_EQ(slower.next_free(start) - start, seconds(52) - seconds(2) * 2);
}

}  // namespace
}  // namespace mxrelay::mta
