// Tests for the postfix log format: each event Postfix also logs in Postfix's own shape (the
// shapes pflogsumm and fail2ban's postfix filter match), the others as key=value text after
// their severity and queue ID, and Postfix's way of writing delays.
#include "core/postfix_log.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "core/log_line.hpp"

namespace mxrelay::core {
namespace {

struct Case {
  const char* name;
  LogLine line;
  std::vector<std::string> lines;  // "program: message"
};

std::vector<std::string> rendered(const LogLine& line) {
  std::vector<std::string> out;
  for (const auto& record : postfix_records(line.event()))
    out.push_back(record.program + ": " + record.message);
  return out;
}

TEST(PostfixLog, EventsTakePostfixShapes) {
  const std::vector<Case> cases{
      {"connect",
       LogLine("connect").kv("client", "[192.0.2.7]"),
       {"mxrelay/smtpd: connect from unknown[192.0.2.7]"}},
      {"disconnect",
       LogLine("disconnect").kv("client", "[2001:db8::7]"),
       {"mxrelay/smtpd: disconnect from unknown[2001:db8::7]"}},
      {"accepted",
       LogLine("accepted")
           .kv("queue_id", "00A1")
           .kv("from", "<a@example.org>")
           .kv("nrcpt", 2)
           .kv("size", 1234)
           .kv("client", "[192.0.2.7]")
           .kv("sasl_username", "domino"),
       {"mxrelay/smtpd: 00A1: client=unknown[192.0.2.7], sasl_username=domino",
        "mxrelay/qmgr: 00A1: from=<a@example.org>, size=1234, nrcpt=2 (queue active)"}},
      {"delivery sent",
       LogLine("delivery")
           .kv("queue_id", "00A1")
           .kv("to", "<b@example.com>")
           .kv("relay", "mx.example.com[198.51.100.1]:25")
           .kv("delay", 1.234)
           .kv("delay_before_queue", 0.0)
           .kv("delay_in_queue", 0.004)
           .kv("delay_connection", 0.31)
           .kv("delay_transmission", 0.92)
           .kv("dsn", "2.0.0")
           .kv("status", "sent")
           .kv("reply", "250 2.0.0 Ok: queued as X"),
       {"mxrelay/smtp: 00A1: to=<b@example.com>, relay=mx.example.com[198.51.100.1]:25, "
        "delay=1.2, delays=0/0/0.31/0.92, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as X)"}},
      {"delivery deferred without a server",
       LogLine("delivery", Severity::warning)
           .kv("queue_id", "00A2")
           .kv("to", "<c@example.net>")
           .kv("relay", "none")
           .kv("delay", 4000.0)
           .kv("delay_in_queue", 3999.0)
           .kv("dsn", "4.4.3")
           .kv("status", "deferred")
           .kv("reply", "DNS lookup failed: SERVFAIL"),
       {"mxrelay/smtp: 00A2: to=<c@example.net>, relay=none, delay=4000, delays=0/3999/0/0, "
        "dsn=4.4.3, status=deferred (DNS lookup failed: SERVFAIL)"}},
      {"removed", LogLine("removed").kv("queue_id", "00A1"), {"mxrelay/qmgr: 00A1: removed"}},
      {"relay denied",
       LogLine("reject", Severity::notice)
           .kv("client", "[192.0.2.7]")
           .kv("helo", "spam.example")
           .kv("from", "<x@spam.example>")
           .kv("command", "RCPT TO:<u@corp.example>")
           .kv("reply", "554 5.7.1 Relay access denied"),
       {"mxrelay/smtpd: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 Relay access "
        "denied; from=<x@spam.example> to=<u@corp.example> proto=ESMTP helo=<spam.example>"}},
      {"content refused",
       LogLine("reject", Severity::notice)
           .kv("client", "[192.0.2.7]")
           .kv("command", "end of data")
           .kv("reply", "552 5.3.4 Message too big"),
       {"mxrelay/smtpd: NOQUEUE: reject: END-OF-MESSAGE from unknown[192.0.2.7]: 552 5.3.4 "
        "Message too big; proto=ESMTP"}},
      {"failed AUTH",
       LogLine("auth", Severity::warning)
           .kv("client", "[192.0.2.9]")
           .kv("sasl_username", "admin")
           .kv("mechanism", "PLAIN")
           .kv("result", "failure"),
       {"mxrelay/smtpd: warning: unknown[192.0.2.9]: SASL PLAIN authentication failed: "
        "authentication failure"}},
      {"non-delivery notification",
       LogLine("dsn")
           .kv("queue_id", "00B7")
           .kv("original", "00A2")
           .kv("to", "<a@example.org>")
           .kv("action", "failed")
           .kv("recipients", 1),
       {"mxrelay/bounce: 00A2: sender non-delivery notification: 00B7"}},
      {"delay notification",
       LogLine("dsn").kv("queue_id", "00B8").kv("original", "00A3").kv("action", "delayed"),
       {"mxrelay/bounce: 00A3: sender delay notification: 00B8"}},
      {"an error with a queue ID",
       LogLine("spool_write_failed", Severity::error)
           .kv("queue_id", "00A4")
           .kv("reason", "No space left on device"),
       {"mxrelay/qmgr: error: 00A4: event=spool_write_failed reason=\"No space left on "
        "device\""}},
      {"a notice without one",
       LogLine("started", Severity::notice).kv("version", "1.0"),
       {"mxrelay/master: event=started version=1.0"}},
      {"an unlisted event",
       LogLine("something_new", Severity::warning).kv("x", "y"),
       {"mxrelay/master: warning: event=something_new x=y"}},
  };
  for (const auto& test : cases) EXPECT_EQ(rendered(test.line), test.lines) << test.name;
}

TEST(PostfixLog, RemoteTextCannotAddALine) {
  auto line = LogLine("reject")
                  .kv("client", "[192.0.2.7]")
                  .kv("command", "RCPT TO:<a@b>")
                  .kv("reply", "550 5.1.1 no\r\nmxrelay/smtp: forged");
  const auto lines = render_lines(line.event(), LogFormat::postfix,
                                  std::chrono::system_clock::time_point(), 7, "relay");
  EXPECT_EQ(lines.find('\n'), lines.size() - 1);
}

TEST(PostfixLog, LinesCarryTimestampHostProgramAndPid) {
  auto line = LogLine("removed").kv("queue_id", "00A1");
  EXPECT_EQ(render_lines(line.event(), LogFormat::postfix,
                         std::chrono::system_clock::time_point(std::chrono::seconds(86400)), 42,
                         "relay1"),
            "1970-01-02T00:00:00.000Z relay1 mxrelay/qmgr[42]: 00A1: removed\n");
}

TEST(PostfixLog, DelaysAsPostfixWritesThem) {
  const std::vector<std::pair<double, std::string>> cases{
      {0.0, "0"},    {0.004, "0"}, {0.04, "0.04"}, {0.316, "0.32"},
      {1.25, "1.2"}, {9.96, "10"}, {27.4, "27"},   {86402.0, "86402"}};
  for (const auto& [seconds, text] : cases) EXPECT_EQ(postfix_seconds(seconds), text) << seconds;
}

}  // namespace
}  // namespace mxrelay::core
