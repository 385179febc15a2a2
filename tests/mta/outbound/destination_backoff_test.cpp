// Tests of DestinationBackoff: when a destination is backed off, for how long, and what
// clears it. Scripted as tables of events with the time passed in.
#include "mta/outbound/destination_backoff.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace mxrelay::mta {
namespace {

using Clock = DestinationBackoff::Clock;
using std::chrono::minutes;
using std::chrono::seconds;

const Clock::time_point t0{std::chrono::hours(100)};

enum class Event { fail, succeed };

struct Step {
  Event event;
  seconds at;
  // Expected back-off end after the event, as an offset from t0; nullopt: not backed off.
  std::optional<seconds> backed_off_until;
};

struct Case {
  const char* name;
  std::vector<Step> steps;
};

DestinationBackoffSettings settings() {
  DestinationBackoffSettings out;
  out.failure_threshold = 3;
  out.initial = minutes(1);
  out.maximum = minutes(5);
  return out;
}

class DestinationBackoffTable : public testing::TestWithParam<Case> {};

TEST_P(DestinationBackoffTable, FollowsTheScript) {
  DestinationBackoff backoff(settings());
  for (std::size_t i = 0; i < GetParam().steps.size(); ++i) {
    const auto& step = GetParam().steps[i];
    const auto now = t0 + step.at;
    if (step.event == Event::fail)
      backoff.record_failure("dest.example", now);
    else
      backoff.record_success("dest.example");
    const auto until = backoff.backed_off_until("dest.example", now);
    if (step.backed_off_until) {
      ASSERT_TRUE(until) << "step " << i;
      EXPECT_EQ(*until, t0 + *step.backed_off_until) << "step " << i;
    } else {
      EXPECT_FALSE(until) << "step " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Scripts, DestinationBackoffTable,
                         testing::Values(Case{"BelowThresholdNotBackedOff",
                                              {{Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(1), std::nullopt}}},
                                         Case{"ThresholdStartsInitialBackoff",
                                              {{Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(1), std::nullopt},
                                               {Event::fail, seconds(2), seconds(62)}}},
                                         Case{"EachFurtherFailureDoublesUpToTheCap",
                                              {{Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(0), seconds(60)},
                                               {Event::fail, seconds(60), seconds(60 + 120)},
                                               {Event::fail, seconds(180), seconds(180 + 240)},
                                               {Event::fail, seconds(420), seconds(420 + 300)},
                                               {Event::fail, seconds(720), seconds(720 + 300)}}},
                                         Case{"SuccessClearsEverything",
                                              {{Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(0), seconds(60)},
                                               {Event::succeed, seconds(61), std::nullopt},
                                               {Event::fail, seconds(62), std::nullopt}}},
                                         Case{"SuccessBetweenFailuresResetsTheCount",
                                              {{Event::fail, seconds(0), std::nullopt},
                                               {Event::fail, seconds(1), std::nullopt},
                                               {Event::succeed, seconds(2), std::nullopt},
                                               {Event::fail, seconds(3), std::nullopt},
                                               {Event::fail, seconds(4), std::nullopt}}}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(DestinationBackoff, BackoffEndsByItself) {
  DestinationBackoff backoff(settings());
  for (int i = 0; i < 3; ++i) backoff.record_failure("dest.example", t0);
  EXPECT_TRUE(backoff.backed_off_until("dest.example", t0 + seconds(59)));
  EXPECT_FALSE(backoff.backed_off_until("dest.example", t0 + seconds(60)));
}

TEST(DestinationBackoff, DestinationsAreIndependent) {
  DestinationBackoff backoff(settings());
  for (int i = 0; i < 3; ++i) backoff.record_failure("a.example", t0);
  EXPECT_TRUE(backoff.backed_off_until("a.example", t0));
  EXPECT_FALSE(backoff.backed_off_until("b.example", t0));
}

TEST(DestinationBackoff, RecordFailureReturnsTheEndOnlyFromTheThreshold) {
  DestinationBackoff backoff(settings());
  EXPECT_FALSE(backoff.record_failure("a.example", t0));
  EXPECT_FALSE(backoff.record_failure("a.example", t0));
  EXPECT_EQ(backoff.record_failure("a.example", t0), t0 + minutes(1));
}

TEST(DestinationBackoff, KeepsAtMostMaxTrackedDroppingTheQuietest) {
  auto limited = settings();
  limited.max_tracked = 2;
  DestinationBackoff backoff(limited);
  for (int i = 0; i < 3; ++i) backoff.record_failure("old.example", t0);
  for (int i = 0; i < 3; ++i) backoff.record_failure("mid.example", t0 + seconds(1));
  backoff.record_failure("new.example", t0 + seconds(2));
  EXPECT_FALSE(backoff.backed_off_until("old.example", t0 + seconds(2)));
  EXPECT_TRUE(backoff.backed_off_until("mid.example", t0 + seconds(2)));
}

}  // namespace
}  // namespace mxrelay::mta
