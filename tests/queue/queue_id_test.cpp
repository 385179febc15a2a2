// Tests for queue id generation.
#include "queue/queue_id.hpp"

#include <gtest/gtest.h>

#include <set>

namespace mxrelay::queue {
namespace {

TEST(QueueId, UniqueIncreasingAndWellFormed) {
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 10000; ++i) {
    auto id = new_queue_id();
    EXPECT_TRUE(is_queue_id(id)) << id;
    EXPECT_GT(id, previous);
    EXPECT_TRUE(seen.insert(id).second);
    previous = id;
  }
  EXPECT_FALSE(is_queue_id("../../etc/passwd"));
  EXPECT_FALSE(is_queue_id("00061a2b3c4d5e6f"));
}

}  // namespace
}  // namespace mxrelay::queue
