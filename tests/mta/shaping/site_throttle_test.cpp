// tests/mta/shaping: what each throttling action does for its duration, and the recovery steps.
#include "mta/shaping/site_throttle.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::mta {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Clock = SiteThrottle::Clock;

conf::ThrottleRule rule(conf::ThrottleAction action, std::chrono::seconds duration) {
  conf::ThrottleRule out;
  out.code = "4.7.650";
  out.action = action;
  out.duration = duration;
  return out;
}

TEST(SiteThrottle, RecoveryStepsAfterEachAction) {
  struct Row {
    conf::ThrottleAction action;
    seconds duration;
    seconds at;  // after the reply
    double rate;
    double connections;
    bool suspended;
  };
  using A = conf::ThrottleAction;
  const std::vector<Row> rows = {
      {A::suspend, minutes(15), seconds(0), 0, 0, true},
      {A::suspend, minutes(15), minutes(15) - seconds(1), 0, 0, true},
      {A::suspend, minutes(15), minutes(15), 0.25, 0.25, false},  // steps of a minute
      {A::suspend, minutes(15), minutes(16), 0.5, 0.5, false},
      {A::suspend, minutes(15), minutes(17), 1, 1, false},
      {A::suspend, seconds(10), seconds(10), 0.25, 0.25, false},  // steps of 10 s
      {A::suspend, seconds(10), seconds(25), 0.5, 0.5, false},
      {A::suspend, seconds(10), seconds(30), 1, 1, false},
      {A::halve_rate, minutes(10), seconds(0), 0.5, 1, false},
      {A::halve_rate, minutes(10), minutes(10), 0.5, 1, false},
      {A::halve_rate, minutes(10), minutes(11), 1, 1, false},
      {A::halve_connections, minutes(5), minutes(4), 1, 0.5, false},
      {A::halve_connections, minutes(5), minutes(6), 1, 1, false},
  };
  const auto start = Clock::time_point{} + seconds(100000);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    SiteThrottle throttle;
    throttle.apply(rule(row.action, row.duration), "451 4.7.650 slow down", start);
    const auto now = start + row.at;
    EXPECT_DOUBLE_EQ(throttle.rate_factor(now), row.rate) << "row " << i;
    EXPECT_DOUBLE_EQ(throttle.connection_factor(now), row.connections) << "row " << i;
    EXPECT_EQ(throttle.suspended_until(now).has_value(), row.suspended) << "row " << i;
  }
}

TEST(SiteThrottle, TheMessageThatGotTheReplyWaitsForTheSuspensionOrOneStep) {
  const auto start = Clock::time_point{} + seconds(100000);
  SiteThrottle throttle;
  EXPECT_EQ(throttle.apply(rule(conf::ThrottleAction::suspend, minutes(15)), "r", start),
            start + minutes(15));
  SiteThrottle halved;
  EXPECT_EQ(halved.apply(rule(conf::ThrottleAction::halve_rate, minutes(10)), "r", start),
            start + minutes(1));
}

TEST(SiteThrottle, ARepeatedHalvingCompoundsDownToASixteenth) {
  const auto start = Clock::time_point{} + seconds(100000);
  SiteThrottle throttle;
  for (int i = 0; i < 6; ++i)
    throttle.apply(rule(conf::ThrottleAction::halve_rate, minutes(10)), "r", start);
  EXPECT_DOUBLE_EQ(throttle.rate_factor(start), 1.0 / 16);
  EXPECT_EQ(throttle.replies(), 6u);
}

TEST(SiteThrottle, ALaterSuspensionNeverShortensAnEarlierOne) {
  const auto start = Clock::time_point{} + seconds(100000);
  SiteThrottle throttle;
  throttle.apply(rule(conf::ThrottleAction::suspend, minutes(15)), "first", start);
  throttle.apply(rule(conf::ThrottleAction::suspend, minutes(1)), "second", start + seconds(10));
  EXPECT_EQ(throttle.suspended_until(start + minutes(5)), start + minutes(15));
  EXPECT_EQ(throttle.last_reply(), "second");
  EXPECT_STREQ(throttle.last_action(), "suspend");
}

}  // namespace
}  // namespace mxrelay::mta
