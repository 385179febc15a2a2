// Tests for log line formatting: key=value text (the default) and JSON, with escaping of
// remote input, whole lines with timestamp and pid, and the process-wide format setting.
#include "core/log_line.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>

namespace mxrelay::core {
namespace {

// 2026-01-02T03:04:05.678Z
std::chrono::system_clock::time_point fixed_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / January / 2} + hours(3) + minutes(4) + seconds(5) +
         milliseconds(678);
}

TEST(LogLine, PlainAndQuotedValues) {
  LogLine line("delivery", LogFormat::text);
  line.kv("queue_id", "A1B2")
      .kv("to", "<u@outlook.com>")
      .kv("delay", 3)
      .kv("reply", "250 2.0.0 Ok: queued");
  EXPECT_EQ(
      line.text(),
      "event=delivery queue_id=A1B2 to=<u@outlook.com> delay=3 reply=\"250 2.0.0 Ok: queued\"");
}

TEST(LogLine, RemoteInputCannotForgeFieldsOrLines) {
  LogLine line("x", LogFormat::text);
  line.kv("reply", "550 no\r\nevent=fake status=sent \"q\"");
  EXPECT_EQ(line.text(), "event=x reply=\"550 no\\x0d\\x0aevent=fake status=sent \\\"q\\\"\"");
  EXPECT_EQ(line.text().find('\n'), std::string::npos);
  LogLine empty("y", LogFormat::text);
  empty.kv("from", "");
  EXPECT_EQ(empty.text(), "event=y from=\"\"");
}

TEST(LogLine, TextLineHasTimestampAndPid) {
  LogLine line("started", LogFormat::text);
  line.kv("version", "1.0").kv("workers", 2);
  EXPECT_EQ(line.line(fixed_time(), 4242),
            "2026-01-02T03:04:05.678Z mxrelay[4242]: event=started version=1.0 workers=2\n");
}

TEST(LogLine, JsonLineIsOneObjectWithNumbersUnquoted) {
  LogLine line("delivery", LogFormat::json);
  line.kv("queue_id", "A1B2").kv("delay", 3).kv("size", -1).kv("reply", "250 2.0.0 Ok: queued");
  EXPECT_EQ(line.line(fixed_time(), 4242),
            "{\"time\":\"2026-01-02T03:04:05.678Z\",\"pid\":4242,\"event\":\"delivery\","
            "\"queue_id\":\"A1B2\",\"delay\":3,\"size\":-1,\"reply\":\"250 2.0.0 Ok: queued\"}\n");
}

TEST(LogLine, JsonEscapesRemoteInput) {
  LogLine line("x", LogFormat::json);
  line.kv("reply", "550 \"no\"\r\n\\ \x01\x7f")
      .kv("name",
          "B\xc3\xbc"
          "cher");
  line.kv("bad",
          "a\xff"
          "b\xc3")
      .kv("surrogate", "\xed\xa0\x80");
  EXPECT_EQ(line.text(),
            "\"event\":\"x\",\"reply\":\"550 \\\"no\\\"\\u000d\\u000a\\\\ \\u0001\\u007f\","
            "\"name\":\"B\xc3\xbc"
            "cher\",\"bad\":\"a\\ufffdb\\ufffd\","
            "\"surrogate\":\"\\ufffd\\ufffd\\ufffd\"");
  auto text = line.line(fixed_time(), 1);
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  auto parsed = boost::json::parse(text).as_object();
  EXPECT_EQ(parsed.at("reply").as_string(), "550 \"no\"\r\n\\ \x01\x7f");
  EXPECT_EQ(parsed.at("name").as_string(),
            "B\xc3\xbc"
            "cher");
  EXPECT_EQ(parsed.at("pid").as_int64(), 1);
  EXPECT_EQ(parsed.at("event").as_string(), "x");
}

TEST(LogLine, FormatSettingAppliesToNewLines) {
  ASSERT_EQ(log_format(), LogFormat::text);
  EXPECT_EQ(LogLine("a").text(), "event=a");
  set_log_format(LogFormat::json);
  EXPECT_EQ(log_format(), LogFormat::json);
  EXPECT_EQ(LogLine("a").text(), "\"event\":\"a\"");
  set_log_format(LogFormat::text);
  EXPECT_EQ(LogLine("a").text(), "event=a");
}

}  // namespace
}  // namespace mxrelay::core
