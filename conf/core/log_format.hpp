// core: how a log event becomes text. Three formats (log.format): Postfix-style key=value
// pairs (text, the default), one JSON object (json), or Postfix's own line shapes (postfix,
// see postfix_log). A rendered event is one or more records, each a program name and a
// message; on stderr a record gets a timestamp and the pid, under journald the journal adds
// them. Values with spaces, quotes or control characters are quoted and escaped, so remote
// input can never split a line or forge a field.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "log_event.hpp"

namespace mxrelay::core {

enum class LogFormat { text, json, postfix };

// The format lines are written in from now on (thread-safe; process-wide).
void set_log_format(LogFormat format);
LogFormat log_format();

struct LogRecord {
  std::string program;  // "mxrelay"; in the postfix format "mxrelay/smtpd", "mxrelay/smtp", ...
  std::string message;  // text: "event=... key=value"; json: {"event":...}; postfix: its shape
};

// The fields as written: "event=NAME key=value ..." (text) or "\"event\":\"NAME\",..." (json).
std::string render_fields(const LogEvent& event, LogFormat format);
std::vector<LogRecord> render_records(const LogEvent& event, LogFormat format);

// The lines for stderr, each ending in a newline. TIMESTAMP is UTC with milliseconds
// ("2026-01-02T03:04:05.678Z"). text: "TIMESTAMP mxrelay[PID]: event=..."; json:
// {"time":"TIMESTAMP","pid":PID,"severity":"info","event":...}; postfix: "TIMESTAMP HOST
// mxrelay/smtpd[PID]: ..." as a syslog file has it, which pflogsumm reads.
std::string render_lines(const LogEvent& event, LogFormat format,
                         std::chrono::system_clock::time_point now, int pid, std::string_view host);

// A number of seconds in a log field: "0.125", "3", at most millisecond precision.
std::string seconds_text(double seconds);

}  // namespace mxrelay::core
