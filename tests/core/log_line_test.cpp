// Tests for log line formatting: key=value text (the default) and JSON, with escaping of
// remote input, whole lines with timestamp, pid and severity, and the process-wide format
// setting.
#include "core/log_line.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace mxrelay::core {
namespace {

// 2026-01-02T03:04:05.678Z
std::chrono::system_clock::time_point fixed_time() {
  using namespace std::chrono;
  return sys_days{year{2026} / January / 2} + hours(3) + minutes(4) + seconds(5) +
         milliseconds(678);
}

TEST(LogLine, PlainAndQuotedValues) {
  LogLine line("delivery");
  line.kv("queue_id", "A1B2")
      .kv("to", "<u@outlook.com>")
      .kv("delay", 3)
      .kv("reply", "250 2.0.0 Ok: queued");
  EXPECT_EQ(
      line.text(LogFormat::text),
      "event=delivery queue_id=A1B2 to=<u@outlook.com> delay=3 reply=\"250 2.0.0 Ok: queued\"");
}

TEST(LogLine, RemoteInputCannotForgeFieldsOrLines) {
  LogLine line("x");
  line.kv("reply", "550 no\r\nevent=fake status=sent \"q\"");
  EXPECT_EQ(line.text(LogFormat::text),
            "event=x reply=\"550 no\\x0d\\x0aevent=fake status=sent \\\"q\\\"\"");
  EXPECT_EQ(line.text(LogFormat::text).find('\n'), std::string::npos);
  LogLine empty("y");
  empty.kv("from", "");
  EXPECT_EQ(empty.text(LogFormat::text), "event=y from=\"\"");
}

TEST(LogLine, TextLineHasTimestampAndPid) {
  LogLine line("started");
  line.kv("version", "1.0").kv("workers", 2);
  EXPECT_EQ(render_lines(line.event(), LogFormat::text, fixed_time(), 4242, "relay"),
            "2026-01-02T03:04:05.678Z mxrelay[4242]: event=started version=1.0 workers=2\n");
}

TEST(LogLine, JsonLineIsOneObjectWithNumbersUnquoted) {
  LogLine line("delivery", Severity::warning);
  line.kv("queue_id", "A1B2")
      .kv("delay", 0.25)
      .kv("size", -1)
      .kv("reply", "451 4.3.0 later")
      .kv("grace", 30);
  EXPECT_EQ(render_lines(line.event(), LogFormat::json, fixed_time(), 4242, "relay"),
            "{\"time\":\"2026-01-02T03:04:05.678Z\",\"pid\":4242,\"severity\":\"warning\","
            "\"event\":\"delivery\",\"queue_id\":\"A1B2\",\"delay\":0.25,\"size\":-1,"
            "\"reply\":\"451 4.3.0 later\",\"grace\":30}\n");
}

TEST(LogLine, JsonEscapesRemoteInput) {
  LogLine line("x");
  line.kv("reply", "550 \"no\"\r\n\\ \x01\x7f")
      .kv("name",
          "B\xc3\xbc"
          "cher");
  line.kv("bad",
          "a\xff"
          "b\xc3")
      .kv("surrogate", "\xed\xa0\x80");
  EXPECT_EQ(line.text(LogFormat::json),
            "\"event\":\"x\",\"reply\":\"550 \\\"no\\\"\\u000d\\u000a\\\\ \\u0001\\u007f\","
            "\"name\":\"B\xc3\xbc"
            "cher\",\"bad\":\"a\\ufffdb\\ufffd\","
            "\"surrogate\":\"\\ufffd\\ufffd\\ufffd\"");
  auto text = render_lines(line.event(), LogFormat::json, fixed_time(), 1, "relay");
  EXPECT_EQ(text.find('\n'), text.size() - 1);
  auto parsed = boost::json::parse(text).as_object();
  EXPECT_EQ(parsed.at("reply").as_string(), "550 \"no\"\r\n\\ \x01\x7f");
  EXPECT_EQ(parsed.at("name").as_string(),
            "B\xc3\xbc"
            "cher");
  EXPECT_EQ(parsed.at("pid").as_int64(), 1);
  EXPECT_EQ(parsed.at("event").as_string(), "x");
  EXPECT_EQ(parsed.at("severity").as_string(), "info");
}

TEST(LogLine, SecondsKeepMillisecondsAndDropTrailingZeros) {
  const std::vector<std::pair<double, std::string>> cases{{0.0, "0"},        {0.0004, "0"},
                                                          {0.0125, "0.013"}, {0.25, "0.25"},
                                                          {3.0, "3"},        {86400.5, "86400.5"}};
  for (const auto& [seconds, text] : cases) EXPECT_EQ(seconds_text(seconds), text) << seconds;
}

TEST(LogLine, FormatSettingAppliesToNewLines) {
  ASSERT_EQ(log_format(), LogFormat::text);
  EXPECT_EQ(LogLine("a").text(), "event=a");
  set_log_format(LogFormat::json);
  EXPECT_EQ(log_format(), LogFormat::json);
  EXPECT_EQ(LogLine("a").text(), "\"event\":\"a\"");
  set_log_format(LogFormat::postfix);
  EXPECT_EQ(log_format(), LogFormat::postfix);
  set_log_format(LogFormat::text);
  EXPECT_EQ(LogLine("a").text(), "event=a");
}

}  // namespace
}  // namespace mxrelay::core
