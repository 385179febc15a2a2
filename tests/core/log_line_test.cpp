// Tests for key=value log line formatting.
#include "core/log_line.hpp"

#include <gtest/gtest.h>

namespace mxrelay::core {
namespace {

TEST(LogLine, PlainAndQuotedValues) {
  LogLine line("delivery");
  line.kv("queue_id", "A1B2").kv("to", "<u@outlook.com>").kv("delay", 3).kv(
      "reply", "250 2.0.0 Ok: queued");
  EXPECT_EQ(line.text(),
            "event=delivery queue_id=A1B2 to=<u@outlook.com> delay=3 reply=\"250 2.0.0 Ok: queued\"");
}

TEST(LogLine, RemoteInputCannotForgeFieldsOrLines) {
  LogLine line("x");
  line.kv("reply", "550 no\r\nevent=fake status=sent \"q\"");
  EXPECT_EQ(line.text(), "event=x reply=\"550 no\\x0d\\x0aevent=fake status=sent \\\"q\\\"\"");
  EXPECT_EQ(line.text().find('\n'), std::string::npos);
  LogLine empty("y");
  empty.kv("from", "");
  EXPECT_EQ(empty.text(), "event=y from=\"\"");
}

}  // namespace
}  // namespace mxrelay::core
