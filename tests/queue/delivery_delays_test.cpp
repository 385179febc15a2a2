// Tests for delivery_delays: the split of a recipient's delay into Postfix's a/b/c/d parts.
#include "queue/delivery_delays.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::queue {
namespace {

using std::chrono::duration;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(DeliveryDelays, SplitsTheDelayIntoItsParts) {
  struct Case {
    const char* name;
    milliseconds since_arrival;
    AttemptTimes attempt;
    DeliveryDelays expected;
  };
  const std::vector<Case> cases{
      {"first attempt",
       milliseconds(500),
       {duration<double>(0.1), duration<double>(0.3)},
       {0.5, 0, 0.1, 0.1, 0.3}},
      {"after retries",
       seconds(3600),
       {duration<double>(2), duration<double>(1)},
       {3600, 0, 3597, 2, 1}},
      {"decided without an attempt", seconds(10), {}, {10, 0, 10, 0, 0}},
      {"times beyond the total are cut",
       milliseconds(200),
       {duration<double>(0.5), duration<double>(0.5)},
       {0.2, 0, 0, 0, 0.2}},
      {"a clock step backwards", seconds(-5), {duration<double>(1), {}}, {0, 0, 0, 0, 0}},
  };
  const auto arrival = std::chrono::system_clock::time_point(seconds(1'000'000));
  for (const auto& test : cases) {
    const auto got = delivery_delays(arrival, arrival + test.since_arrival, test.attempt);
    EXPECT_NEAR(got.total, test.expected.total, 1e-9) << test.name;
    EXPECT_EQ(got.before_queue, 0.0) << test.name;
    EXPECT_NEAR(got.in_queue, test.expected.in_queue, 1e-9) << test.name;
    EXPECT_NEAR(got.connection_setup, test.expected.connection_setup, 1e-9) << test.name;
    EXPECT_NEAR(got.transmission, test.expected.transmission, 1e-9) << test.name;
  }
}

}  // namespace
}  // namespace mxrelay::queue
