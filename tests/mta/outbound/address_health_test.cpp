// Table tests for the per-address circuit breaker, driven by an injected clock.
#include "mta/outbound/address_health.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

using namespace std::chrono_literals;
using Clock = AddressHealth::Clock;

const auto bad = core::IpAddress::v4({127, 0, 0, 9});
const auto good = core::IpAddress::v4({127, 0, 0, 10});

enum class Event { fail, succeed, admit };
struct Step {
  Clock::duration at;  // since the start
  Event event;
  Admission expected = Admission::use;  // admit only
  BreakerState state_after = BreakerState::closed;
};

TEST(AddressHealth, BreakerTable) {
  const AddressHealthSettings settings{3, 60s, 100};
  const std::vector<Step> steps = {
      {0s, Event::admit, Admission::use, BreakerState::closed},
      {1s, Event::fail, {}, BreakerState::closed},
      {2s, Event::fail, {}, BreakerState::closed},
      {3s, Event::admit, Admission::use, BreakerState::closed},
      {3s, Event::fail, {}, BreakerState::open},  // third in a row opens
      {10s, Event::admit, Admission::skip, BreakerState::open},
      {62s, Event::admit, Admission::skip, BreakerState::open},
      {63s, Event::admit, Admission::probe, BreakerState::half_open},  // cool-down over
      {64s, Event::admit, Admission::skip, BreakerState::half_open},   // one probe at a time
      {65s, Event::fail, {}, BreakerState::open},                      // probe failed
      {100s, Event::admit, Admission::skip, BreakerState::open},
      {125s, Event::admit, Admission::probe, BreakerState::half_open},
      {126s, Event::succeed, {}, BreakerState::closed},  // probe succeeded
      {127s, Event::fail, {}, BreakerState::closed},     // counting starts again
      {128s, Event::admit, Admission::use, BreakerState::closed},
      {129s, Event::succeed, {}, BreakerState::closed},
      {130s, Event::fail, {}, BreakerState::closed},
      {131s, Event::fail, {}, BreakerState::closed},  // success reset the count: still 2
  };
  AddressHealth health(settings);
  const Clock::time_point start{};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    const auto& step = steps[i];
    const auto now = start + step.at;
    switch (step.event) {
      case Event::fail:
        health.record_failure("Dest.example", bad, HealthProblem::greeting_temporary,
                              "421 4.3.2 busy", now);
        break;
      case Event::succeed:
        health.record_success("dest.example", bad);
        break;
      case Event::admit:
        EXPECT_EQ(health.admit("dest.example", bad, now), step.expected);
        break;
    }
    const auto unhealthy = health.unhealthy(now);
    const auto state = unhealthy.empty() ? BreakerState::closed : unhealthy.front().state;
    EXPECT_EQ(state, step.state_after);
    EXPECT_EQ(health.admit("dest.example", good, now), Admission::use);
  }
}

TEST(AddressHealth, ListsUnhealthyAddressesWithReasons) {
  AddressHealth health({1, 30s, 100});
  const Clock::time_point now{};
  health.record_failure("a.example", bad, HealthProblem::tls_failure, "handshake failed", now);
  health.record_failure("b.example", good, HealthProblem::connect_timeout, "timed out", now);
  const auto all = health.unhealthy(now + 10s);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].destination, "a.example");
  EXPECT_EQ(all[0].address, bad);
  EXPECT_EQ(all[0].last_problem, HealthProblem::tls_failure);
  EXPECT_EQ(all[0].last_reason, "handshake failed");
  EXPECT_EQ(all[0].retry_in, 20s);
  EXPECT_EQ(to_string(all[1].last_problem), "connect_timeout");
  ASSERT_EQ(health.unhealthy("B.example", now).size(), 1u);
  EXPECT_EQ(health.last_failure("a.example", bad), now);
  EXPECT_FALSE(health.last_failure("a.example", good));
}

TEST(AddressHealth, AbandonedProbeIsReplacedAfterTheCoolDown) {
  AddressHealth health({1, 30s, 100});
  const Clock::time_point start{};
  health.record_failure("d.example", bad, HealthProblem::connect_failed, "refused", start);
  EXPECT_EQ(health.admit("d.example", bad, start + 30s), Admission::probe);
  EXPECT_EQ(health.admit("d.example", bad, start + 59s), Admission::skip);
  EXPECT_EQ(health.admit("d.example", bad, start + 60s), Admission::probe);
}

TEST(AddressHealth, MemoryIsBoundedByDroppingTheQuietest) {
  AddressHealth health({1, 30s, 2});
  const Clock::time_point start{};
  for (std::uint8_t i = 1; i <= 5; ++i)
    health.record_failure("d.example", core::IpAddress::v4({127, 0, 1, i}),
                          HealthProblem::connect_failed, "refused",
                          start + std::chrono::seconds(i));
  const auto left = health.unhealthy(start + 6s);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].address, core::IpAddress::v4({127, 0, 1, 4}));
  EXPECT_EQ(left[1].address, core::IpAddress::v4({127, 0, 1, 5}));
}

// What record_failure/record_success report (what a cluster is told) and what the holds other
// relays publish do here.
enum class ClusterEvent { fail, succeed, admit, poll_held, poll_empty };
struct ClusterStep {
  Clock::duration at;
  ClusterEvent event;
  bool reported = false;                // fail: opened; succeed: was held; poll: the hold is news
  Admission expected = Admission::use;  // admit only
  std::string held_by_after;            // of the address's breaker; "" for none or ours
  Clock::duration hold_until{};         // poll_held: the published hold's end
};

TEST(AddressHealth, ClusterHoldTable) {
  using enum ClusterEvent;
  const std::vector<ClusterStep> steps = {
      {0s, poll_held, true, {}, "b", 40s},         // relay b's breaker: skipped here until 40s
      {1s, poll_held, false, {}, "b", 40s},        // the same hold again: no news
      {2s, admit, false, Admission::skip, "b"},    // never failed here, still skipped
      {3s, poll_held, true, {}, "b", 50s},         // b extended it: news
      {45s, admit, false, Admission::skip, "b"},   // until its end, not this cool-down
      {50s, admit, false, Admission::probe, "b"},  // then one probe
      {51s, succeed, true, {}, ""},                // the probe succeeded: the shared hold ends
      {52s, admit, false, Admission::use, ""},
      {53s, poll_held, true, {}, "b", 90s},  // b opens it again
      {54s, poll_empty, false, {}, ""},      // and clears it: the hold ends here too
      {55s, admit, false, Admission::use, ""},
      {56s, fail, false, {}, ""},             // below the threshold: nothing to share
      {57s, fail, true, {}, ""},              // opens our breaker: shared
      {58s, poll_held, false, {}, "", 200s},  // our own open breaker stands
      {59s, poll_empty, false, {}, ""},       // and is not ended by the cluster
      {60s, admit, false, Admission::skip, ""},
      {117s, admit, false, Admission::probe, ""},  // our cool-down (60 s) is over
      {118s, fail, true, {}, ""},                  // the probe failed: opened again, shared
      {120s, succeed, true, {}, ""},
      {121s, poll_held, true, {}, "b", 150s},
      {122s, fail, true, {}, ""},  // a failure here makes the hold ours
      {123s, poll_empty, false, {}, ""},
      {124s, admit, false, Admission::skip, ""},
      {200s, succeed, true, {}, ""},
      {201s, succeed, false, {}, ""},  // nothing held: nothing to clear
  };
  AddressHealth health({2, 60s, 100});
  const Clock::time_point start{};
  for (std::size_t i = 0; i < steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i));
    const auto& step = steps[i];
    const auto now = start + step.at;
    switch (step.event) {
      case fail:
        EXPECT_EQ(health.record_failure("dest.example", bad, HealthProblem::connect_failed,
                                        "refused", now),
                  step.reported);
        break;
      case succeed:
        EXPECT_EQ(health.record_success("dest.example", bad), step.reported);
        break;
      case admit:
        EXPECT_EQ(health.admit("dest.example", bad, now), step.expected);
        break;
      case poll_held: {
        const std::vector<ClusterHold> holds{
            {"Dest.example", bad, start + step.hold_until, "421 busy", "b"}};
        EXPECT_EQ(health.apply_cluster_holds(holds, now).size(), step.reported ? 1u : 0u);
        break;
      }
      case poll_empty:
        EXPECT_TRUE(health.apply_cluster_holds({}, now).empty());
        break;
    }
    const auto unhealthy = health.unhealthy(now);
    EXPECT_EQ(unhealthy.empty() ? std::string() : unhealthy.front().held_by, step.held_by_after);
  }
}

TEST(AddressHealth, ClusterHoldsShowTheirRelayReasonAndEnd) {
  AddressHealth health({3, 60s, 100});
  const Clock::time_point now{};
  const std::vector<ClusterHold> holds{{"a.example", bad, now + 25s, "421 4.3.2 busy", "relay-b"},
                                       {"a.example", good, now - 1s, "ended", "relay-b"}};
  ASSERT_EQ(health.apply_cluster_holds(holds, now).size(), 1u);
  const auto unhealthy = health.unhealthy(now + 5s);
  ASSERT_EQ(unhealthy.size(), 1u);
  EXPECT_EQ(unhealthy[0].address, bad);
  EXPECT_EQ(unhealthy[0].held_by, "relay-b");
  EXPECT_EQ(unhealthy[0].last_reason, "421 4.3.2 busy");
  EXPECT_EQ(unhealthy[0].retry_in, 20s);
  EXPECT_EQ(health.admit("a.example", good, now), Admission::use);
}

}  // namespace
}  // namespace mxrelay::mta
