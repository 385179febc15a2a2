// tests/mta/shaping: admission per site (rate, suspension, kept reservations), the connection
// limit in force, each source address's share, and what an operator sees, with a fake clock.
#include "mta/shaping/traffic_shaper.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::mta {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using Clock = TrafficShaper::Clock;

conf::ShapingSite site(std::size_t connections, std::size_t per_minute) {
  conf::ShapingSite out;
  out.site = "microsoft";
  out.mx_suffixes = {".mail.protection.outlook.com"};
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

const auto kStart = Clock::time_point{} + seconds(100000);

TEST(TrafficShaper, WithoutLimitsEveryMessageGoesAtOnce) {
  TrafficShaper shaper;
  const auto unlimited = site(0, 0);
  for (int i = 0; i < 1000; ++i) {
    const auto admission = shaper.admit(unlimited, "id" + std::to_string(i), kStart);
    ASSERT_EQ(admission.kind, SiteAdmission::Kind::go);
    EXPECT_EQ(admission.at, kStart);
  }
  EXPECT_EQ(shaper.connection_limit(unlimited, kStart), 0u);
  EXPECT_DOUBLE_EQ(shaper.view(unlimited, 0, kStart).messages_last_minute, 1000);
}

TEST(TrafficShaper, ARateLimitSendsTheBurstThenWaitsThenDefersToSpreadSlots) {
  TrafficShaper shaper;
  const auto limited = site(0, 600);  // burst 60, then one every 100 ms
  for (int i = 0; i < 60; ++i)
    EXPECT_EQ(shaper.admit(limited, "b" + std::to_string(i), kStart).at, kStart);
  // The next ten fit in the next second: they wait in their attempt.
  for (int i = 0; i < 10; ++i) {
    const auto admission = shaper.admit(limited, "w" + std::to_string(i), kStart);
    EXPECT_EQ(admission.kind, SiteAdmission::Kind::go);
    EXPECT_EQ(admission.at, kStart + milliseconds(100 * (i + 1)));
  }
  const auto later = shaper.admit(limited, "late", kStart);
  ASSERT_EQ(later.kind, SiteAdmission::Kind::later);
  EXPECT_EQ(later.at, kStart + milliseconds(1100));
  EXPECT_EQ(later.reason, "site microsoft is limited to 600 messages a minute");
  const auto next = shaper.admit(limited, "later", kStart);
  EXPECT_EQ(next.at, kStart + milliseconds(1200));  // each deferred message its own slot
}

TEST(TrafficShaper, ADeferredMessageFindsItsSlotKeptWhenItComesBack) {
  TrafficShaper shaper;
  const auto limited = site(0, 60);  // burst 6, one a second
  for (int i = 0; i < 6; ++i) shaper.admit(limited, "b" + std::to_string(i), kStart);
  shaper.admit(limited, "w", kStart);  // +1 s: waits in its attempt
  const auto deferred = shaper.admit(limited, "d", kStart);
  ASSERT_EQ(deferred.kind, SiteAdmission::Kind::later);
  EXPECT_EQ(deferred.at, kStart + seconds(2));
  for (int i = 0; i < 5; ++i) shaper.admit(limited, "x" + std::to_string(i), kStart);
  const auto back = shaper.admit(limited, "d", deferred.at);
  EXPECT_EQ(back.kind, SiteAdmission::Kind::go);
  EXPECT_EQ(back.at, deferred.at);
  // Coming back took no token of its own: the next new message gets the slot after x4's.
  EXPECT_EQ(shaper.admit(limited, "new", deferred.at).at, kStart + seconds(8));
}

TEST(TrafficShaper, WhileTheRateRecoversAWaitingMessageComesBackAtEachStep) {
  TrafficShaper shaper;
  auto limited = site(0, 60);  // burst 6, one a second
  auto halve = rule(conf::ThrottleAction::halve_rate);
  halve.duration = seconds(4);  // half for 4 s and one 4 s step, then all of it again
  for (int i = 0; i < 15; ++i) shaper.admit(limited, "b" + std::to_string(i), kStart);
  const auto far = shaper.admit(limited, "far", kStart);
  ASSERT_EQ(far.kind, SiteAdmission::Kind::later);
  EXPECT_EQ(far.at, kStart + seconds(10));  // its slot: the rate is not reduced
  EXPECT_EQ(far.slot, far.at);
  shaper.throttled(limited, halve, "451 4.7.500 busy", 1, kStart);
  // Coming back early (a flush): half the rate, so the 10 s still to wait become 20 s; it
  // comes back when the rate doubles.
  const auto early = shaper.admit(limited, "far", kStart + milliseconds(1));
  ASSERT_EQ(early.kind, SiteAdmission::Kind::later);
  EXPECT_EQ(early.slot - kStart, seconds(20) - milliseconds(1));
  EXPECT_EQ(early.at, kStart + seconds(8));
  // Back to the full rate: the 12 s left become 6 s.
  const auto back = shaper.admit(limited, "far", early.at);
  ASSERT_EQ(back.kind, SiteAdmission::Kind::later);
  EXPECT_EQ(back.slot, early.at + (early.slot - early.at) / 2);
  EXPECT_EQ(back.at, back.slot);
  EXPECT_EQ(back.reason, "site microsoft is limited to 60 messages a minute");
}

TEST(TrafficShaper, TheNextRateChangeIsEachRecoveryStep) {
  LimitReduction reduction;
  EXPECT_FALSE(reduction.next_change(kStart));
  reduction.reduce(0, 0.25, kStart + seconds(10), seconds(10));
  EXPECT_EQ(reduction.next_change(kStart), kStart + seconds(10));
  EXPECT_EQ(reduction.next_change(kStart + seconds(10)), kStart + seconds(20));
  EXPECT_EQ(reduction.next_change(kStart + seconds(25)), kStart + seconds(30));
  EXPECT_DOUBLE_EQ(reduction.factor(kStart + seconds(25)), 0.5);
  EXPECT_FALSE(reduction.next_change(kStart + seconds(30)));
  // A halving holds its level through the duration and recovers from it a step later.
  reduction.reduce(0.5, 0.5, kStart + seconds(10), seconds(10));
  EXPECT_EQ(reduction.next_change(kStart), kStart + seconds(20));
  EXPECT_DOUBLE_EQ(reduction.factor(kStart + seconds(15)), 0.5);
}

TEST(TrafficShaper, ASuspendedSiteAdmitsNothingUntilItEndsThenRecoversItsRate) {
  TrafficShaper shaper;
  const auto limited = site(8, 600);
  const auto resume = shaper.throttled(limited, rule(conf::ThrottleAction::suspend),
                                       "451 4.7.650 rate limited", 3, kStart);
  EXPECT_EQ(resume, kStart + minutes(15));
  const auto during = shaper.admit(limited, "a", kStart + minutes(5));
  ASSERT_EQ(during.kind, SiteAdmission::Kind::later);
  EXPECT_EQ(during.at, kStart + minutes(15));
  EXPECT_NE(during.reason.find("suspended"), std::string::npos);
  EXPECT_NE(during.reason.find("451 4.7.650 rate limited"), std::string::npos);
  const auto after = kStart + minutes(15);
  EXPECT_EQ(shaper.admit(limited, "b", after).kind, SiteAdmission::Kind::go);
  auto view = shaper.view(limited, 0, after);
  EXPECT_DOUBLE_EQ(view.rate_limit, 150);
  EXPECT_EQ(view.connection_limit, 2u);
  EXPECT_EQ(view.last_action, "suspend");
  EXPECT_EQ(view.throttle_replies, 1u);
  EXPECT_FALSE(view.suspended_until);
  view = shaper.view(limited, 0, after + minutes(2));
  EXPECT_DOUBLE_EQ(view.rate_limit, 600);
  EXPECT_EQ(view.connection_limit, 8u);
}

TEST(TrafficShaper, ASuspensionImposedByAnotherRelayHoldsTheSiteAndRecoversLikeItsOwn) {
  TrafficShaper shaper;
  const auto limited = site(8, 600);
  EXPECT_TRUE(shaper.impose_suspension(limited, kStart + minutes(10), "451 4.7.650 from relay b", 2,
                                       kStart));
  const auto during = shaper.admit(limited, "a", kStart + minutes(5));
  ASSERT_EQ(during.kind, SiteAdmission::Kind::later);
  EXPECT_TRUE(during.suspended);
  EXPECT_EQ(during.at, kStart + minutes(10));
  EXPECT_NE(during.reason.find("451 4.7.650 from relay b"), std::string::npos);
  auto view = shaper.view(limited, 0, kStart + minutes(5));
  EXPECT_EQ(view.suspended_until, kStart + minutes(10));
  EXPECT_EQ(view.last_action, "suspend");
  EXPECT_EQ(view.throttle_replies, 0u);  // the reply came to the other relay
  // Polled again: the same suspension, or a shorter one, changes nothing.
  EXPECT_FALSE(
      shaper.impose_suspension(limited, kStart + minutes(10), "again", 2, kStart + seconds(1)));
  EXPECT_FALSE(
      shaper.impose_suspension(limited, kStart + minutes(3), "shorter", 2, kStart + seconds(1)));
  EXPECT_FALSE(shaper.impose_suspension(limited, kStart, "over already", 2, kStart + seconds(1)));
  EXPECT_EQ(shaper.view(limited, 0, kStart + seconds(2)).last_reply, "451 4.7.650 from relay b");
  const auto after = kStart + minutes(10);
  EXPECT_EQ(shaper.admit(limited, "b", after).kind, SiteAdmission::Kind::go);
  view = shaper.view(limited, 0, after);
  EXPECT_DOUBLE_EQ(view.rate_limit, 150);
  EXPECT_DOUBLE_EQ(shaper.rate_limit(limited, after), 150);
  EXPECT_EQ(view.connection_limit, 2u);
  view = shaper.view(limited, 0, after + minutes(2));
  EXPECT_DOUBLE_EQ(view.rate_limit, 600);
  EXPECT_DOUBLE_EQ(shaper.rate_limit(limited, after + minutes(2)), 600);
  EXPECT_EQ(view.connection_limit, 8u);
  // A site the shaper has not seen yet has its configured rate.
  EXPECT_DOUBLE_EQ(TrafficShaper().rate_limit(site(0, 90), kStart), 90);
}

TEST(TrafficShaper, ALongerImposedSuspensionExtendsTheSitesOwn) {
  TrafficShaper shaper;
  const auto limited = site(8, 600);
  shaper.throttled(limited, rule(conf::ThrottleAction::suspend), "451 own", 1, kStart);
  EXPECT_TRUE(shaper.impose_suspension(limited, kStart + minutes(20), "451 theirs", 1,
                                       kStart + minutes(1)));
  EXPECT_EQ(shaper.suspended_until(limited, kStart + minutes(16)), kStart + minutes(20));
  EXPECT_EQ(shaper.view(limited, 0, kStart + minutes(16)).throttle_replies, 1u);
}

TEST(TrafficShaper, HalvingAnUnlimitedSiteStartsFromWhatItSentAndHadOpen) {
  TrafficShaper shaper;
  const auto unlimited = site(0, 0);
  for (int i = 0; i < 300; ++i) shaper.admit(unlimited, "m" + std::to_string(i), kStart);
  shaper.throttled(unlimited, rule(conf::ThrottleAction::halve_rate), "451 4.7.500 busy", 6,
                   kStart + seconds(1));
  shaper.throttled(unlimited, rule(conf::ThrottleAction::halve_connections), "421 4.7.0 too many",
                   6, kStart + seconds(1));
  const auto view = shaper.view(unlimited, 6, kStart + seconds(2));
  EXPECT_DOUBLE_EQ(view.rate_limit, 150);
  EXPECT_EQ(view.connection_limit, 3u);
  // Back to no limit once recovered.
  const auto recovered = shaper.view(unlimited, 0, kStart + minutes(17));
  EXPECT_DOUBLE_EQ(recovered.rate_limit, 0);
  EXPECT_EQ(recovered.connection_limit, 0u);
}

TEST(TrafficShaper, TheLastMinuteCountsOnlySixtySeconds) {
  TrafficShaper shaper;
  const auto unlimited = site(0, 0);
  for (int i = 0; i < 10; ++i) shaper.admit(unlimited, "a", kStart);
  for (int i = 0; i < 5; ++i) shaper.admit(unlimited, "b", kStart + seconds(30));
  EXPECT_DOUBLE_EQ(shaper.view(unlimited, 0, kStart + seconds(59)).messages_last_minute, 15);
  EXPECT_DOUBLE_EQ(shaper.view(unlimited, 0, kStart + seconds(60)).messages_last_minute, 5);
  EXPECT_DOUBLE_EQ(shaper.view(unlimited, 0, kStart + seconds(200)).messages_last_minute, 0);
}

// Per source address: each has the site's whole rate and connection limit, and a reply on
// one leaves the others going.
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
    shaper.throttled(limited, rule(row.action), "451 4.7.650 [127.0.0.5] rate limited", 4, kStart,
                     "127.0.0.5");
    const auto now = kStart + seconds(1);
    const auto* name = conf::to_string(row.action);
    EXPECT_EQ(shaper.suspended_until(limited, now, "127.0.0.5").has_value(), row.suspended) << name;
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
