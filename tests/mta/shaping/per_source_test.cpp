// tests/mta/shaping: a site's state kept per source address: each source address has the
// site's whole rate and connection limit, and a throttling reply on one leaves the others
// going; with a fake clock.
#include <gtest/gtest.h>

#include "mta/shaping/traffic_shaper.hpp"

namespace mxrelay::mta {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Clock = TrafficShaper::Clock;

const auto kStart = Clock::time_point{} + seconds(100000);

conf::ShapingSite site(std::size_t connections, std::size_t per_minute) {
  conf::ShapingSite out;
  out.site = "microsoft";
  out.max_connections = connections;
  out.max_messages_per_minute = per_minute;
  return out;
}

conf::ThrottleRule rule(conf::ThrottleAction action) {
  conf::ThrottleRule out;
  out.code = "4.7.650";
  out.action = action;
  out.duration = minutes(15);
  return out;
}

TEST(PerSource, EachSourceHasTheWholeRate) {
  TrafficShaper shaper;
  const auto limited = site(2, 60);  // burst 6 per source
  for (const char* source : {"127.0.0.5", "127.0.0.6"})
    for (int i = 0; i < 6; ++i)
      EXPECT_EQ(shaper.admit(limited, source + std::to_string(i), kStart, source).at, kStart)
          << source << " " << i;
  EXPECT_GT(shaper.next_slot(limited, "new", kStart, "127.0.0.5"), kStart);
  EXPECT_EQ(shaper.next_slot(limited, "new", kStart, "::1"), kStart);  // untouched
  EXPECT_DOUBLE_EQ(shaper.view(limited, 0, kStart, "127.0.0.6").messages_last_minute, 6);
  EXPECT_EQ(shaper.view(limited, 0, kStart, "127.0.0.6").source, "127.0.0.6");
}

TEST(PerSource, AReplyOnOneSourceReducesThatSourceOnly) {
  struct Row {
    conf::ThrottleAction action;
    bool suspended;
    std::size_t connections;
    double rate;
  };
  const std::vector<Row> rows{
      {conf::ThrottleAction::suspend, true, 1, 15},  // 1 connection: the minimum while suspended
      {conf::ThrottleAction::halve_rate, false, 4, 30},
      {conf::ThrottleAction::halve_connections, false, 2, 60},
  };
  for (const auto& row : rows) {
    TrafficShaper shaper;
    const auto limited = site(4, 60);
    shaper.throttled(limited, rule(row.action), "451 4.7.650 [127.0.0.5] rate limited", 4,
                     kStart, "127.0.0.5");
    const auto now = kStart + seconds(1);
    const auto* name = conf::to_string(row.action);
    EXPECT_EQ(shaper.suspended_until(limited, now, "127.0.0.5").has_value(), row.suspended)
        << name;
    EXPECT_FALSE(shaper.suspended_until(limited, now, "127.0.0.6")) << name;
    EXPECT_FALSE(shaper.suspended_until(limited, now)) << name;
    EXPECT_EQ(shaper.connection_limit(limited, now, "127.0.0.6"), 4u) << name;
    EXPECT_DOUBLE_EQ(shaper.rate_limit(limited, now, "127.0.0.6"), 60) << name;
    if (!row.suspended) {
      EXPECT_EQ(shaper.connection_limit(limited, now, "127.0.0.5"), row.connections) << name;
      EXPECT_DOUBLE_EQ(shaper.rate_limit(limited, now, "127.0.0.5"), row.rate) << name;
    }
    EXPECT_EQ(shaper.admit(limited, "m", now, "127.0.0.6").kind, SiteAdmission::Kind::go) << name;
  }
}

TEST(PerSource, ASuspendedSourceSaysWhichInItsReason) {
  TrafficShaper shaper;
  const auto limited = site(2, 0);
  shaper.throttled(limited, rule(conf::ThrottleAction::suspend), "451 4.7.650 slow", 1, kStart,
                   "127.0.0.5");
  const auto admission = shaper.admit(limited, "m", kStart + seconds(1), "127.0.0.5");
  ASSERT_EQ(admission.kind, SiteAdmission::Kind::later);
  EXPECT_TRUE(admission.suspended);
  EXPECT_EQ(admission.reason,
            "site microsoft from 127.0.0.5 is suspended after the reply: 451 4.7.650 slow");
  EXPECT_TRUE(shaper.known(limited, "127.0.0.5"));
  EXPECT_FALSE(shaper.known(limited, "127.0.0.6"));
}

TEST(PerSource, AKeptSlotIsOnTheSourceItWasGivenOn) {
  TrafficShaper shaper;
  const auto limited = site(0, 60);
  for (int i = 0; i < 7; ++i) shaper.admit(limited, "b" + std::to_string(i), kStart, "127.0.0.5");
  const auto deferred = shaper.admit(limited, "d", kStart, "127.0.0.5");
  ASSERT_EQ(deferred.kind, SiteAdmission::Kind::later);
  EXPECT_TRUE(shaper.keeps_slot(limited, "d", "127.0.0.5"));
  EXPECT_FALSE(shaper.keeps_slot(limited, "d", "127.0.0.6"));
  EXPECT_EQ(shaper.next_slot(limited, "d", kStart, "127.0.0.5"), deferred.slot);
}

}  // namespace
}  // namespace mxrelay::mta
