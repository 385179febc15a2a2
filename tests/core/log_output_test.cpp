// Tests for the journald detection of log_output: JOURNAL_STREAM names stderr only when its
// device and inode both match and it is well formed.
#include "core/log_output.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace mxrelay::core {
namespace {

TEST(LogOutput, JournalStreamMustNameStderr) {
  struct Case {
    std::string_view stream;
    unsigned long long device;
    unsigned long long inode;
    bool journal;
  };
  const std::vector<Case> cases{
      {"8:12345", 8, 12345, true},   {"8:12345", 8, 12346, false}, {"9:12345", 8, 12345, false},
      {"", 8, 12345, false},         {"8", 8, 12345, false},       {":12345", 0, 12345, false},
      {"8:12345x", 8, 12345, false}, {"8:", 8, 0, false},          {"x8:12345", 8, 12345, false},
  };
  for (const auto& test : cases)
    EXPECT_EQ(stderr_is_journal(test.stream, test.device, test.inode), test.journal) << test.stream;
}

}  // namespace
}  // namespace mxrelay::core
