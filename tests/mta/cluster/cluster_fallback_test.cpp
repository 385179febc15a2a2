// tests/mta/cluster: the share of a site's limits one relay keeps while Redis is unreachable,
// and when the cluster's availability changes (one log line per change).
#include "mta/cluster/cluster_fallback.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::mta {
namespace {

TEST(ClusterFallback, ConnectionLimitIsTheCeilingOfTheShareAndAtLeastOne) {
  struct Row {
    std::size_t limit;
    unsigned nodes;
    std::size_t expected;
  } rows[] = {
      {0, 2, 0},    // no limit stays none
      {10, 1, 10},  //
      {10, 2, 5},   //
      {10, 3, 4},   // ceil(3.33)
      {10, 4, 3},   // ceil(2.5)
      {1, 2, 1},    // at least one
      {3, 64, 1},   //
      {64, 64, 1},  //
      {65, 64, 2},  //
      {20, 0, 20},  // no nodes counts as one
  };
  for (const auto& row : rows)
    EXPECT_EQ(fallback_connection_limit(row.limit, row.nodes), row.expected)
        << row.limit << " / " << row.nodes;
}

TEST(ClusterFallback, RateIsTheShare) {
  struct Row {
    double per_minute;
    unsigned nodes;
    double expected;
  } rows[] = {
      {0, 2, 0}, {600, 1, 600}, {600, 2, 300}, {600, 3, 200}, {1, 4, 0.25}, {-5, 2, 0}, {90, 0, 90},
  };
  for (const auto& row : rows)
    EXPECT_DOUBLE_EQ(fallback_rate(row.per_minute, row.nodes), row.expected)
        << row.per_minute << " / " << row.nodes;
}

TEST(ClusterAvailability, OnlyChangesAreReported) {
  using Change = ClusterAvailability::Change;
  struct Row {
    std::vector<bool> outcomes;
    std::vector<Change> expected;
  } rows[] = {
      {{true}, {Change::available}},
      {{false}, {Change::unavailable}},
      {{true, true, true}, {Change::available, Change::none, Change::none}},
      {{true, false, false, false, true},
       {Change::available, Change::unavailable, Change::none, Change::none, Change::available}},
      {{false, true, false}, {Change::unavailable, Change::available, Change::unavailable}},
  };
  for (const auto& row : rows) {
    ClusterAvailability availability;
    EXPECT_FALSE(availability.up());
    std::vector<Change> changes;
    for (bool outcome : row.outcomes) changes.push_back(availability.note(outcome));
    EXPECT_EQ(changes, row.expected);
    EXPECT_EQ(availability.up(), row.outcomes.back());
  }
}

}  // namespace
}  // namespace mxrelay::mta
