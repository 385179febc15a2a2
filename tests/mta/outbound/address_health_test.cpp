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

}  // namespace
}  // namespace mxrelay::mta
