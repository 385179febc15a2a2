// tests/mta: reading /proc/self/stat for the process metrics: a command name with spaces and
// parentheses, and lines that are not stat lines.
#include "mta/process_metrics.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace mxrelay::mta {
namespace {

TEST(ProcessMetrics, ParsesAStatLineWhateverTheCommandName) {
  const std::string line =
      "4242 (mx relay) (x)) S 1 4242 4242 0 -1 4194560 1234 0 0 0 150 25 0 0 20 0 3 0 98765 "
      "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto stat = parse_proc_stat(line);
  ASSERT_TRUE(stat);
  EXPECT_EQ(stat->user_ticks, 150u);
  EXPECT_EQ(stat->system_ticks, 25u);
  EXPECT_EQ(stat->start_ticks, 98765u);
  EXPECT_EQ(stat->virtual_bytes, 123456789u);
  EXPECT_EQ(stat->resident_pages, 2048u);
}

TEST(ProcessMetrics, RefusesWhatIsNotAStatLine) {
  for (const char* text : {"", "4242 no parenthesis", "1 (a) S 1 2 3",
                           "1 (a) S 1 1 1 1 1 1 1 1 1 1 x 1 1 1 1 1 1 1 1 1 1 1"})
    EXPECT_FALSE(parse_proc_stat(text)) << text;
}

TEST(ProcessMetrics, TheRunningProcessHasMemoryAndDescriptors) {
  std::ifstream in("/proc/self/stat");
  const auto stat = parse_proc_stat(std::string(std::istreambuf_iterator<char>(in), {}));
  ASSERT_TRUE(stat);
  EXPECT_GT(stat->resident_pages, 0u);
  const auto families = ProcessMetrics().Collect();
  std::vector<std::string> names;
  for (const auto& family : families) names.push_back(family.name);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "process_cpu_seconds_total", "process_start_time_seconds",
                       "process_virtual_memory_bytes", "process_resident_memory_bytes",
                       "process_open_fds", "process_max_fds"}));
  EXPECT_GE(families[4].metric.front().gauge.value, 3.0);
}

}  // namespace
}  // namespace mxrelay::mta
