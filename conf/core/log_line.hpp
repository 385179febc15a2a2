// core: one log event as a single line on stderr, either Postfix-style key=value pairs
// (text, the default) or one JSON object (json). Values with spaces, quotes or control
// characters are quoted and escaped, so a log line can never be split or forged by remote
// input. The format is the one process-wide setting, chosen once at start-up (log.format).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace mxrelay::core {

enum class LogFormat { text, json };

// The format of lines whose LogLine is created from now on (thread-safe).
void set_log_format(LogFormat format);
LogFormat log_format();

class LogLine {
 public:
  explicit LogLine(std::string_view event, LogFormat format = log_format());
  LogLine& kv(std::string_view key, std::string_view value);
  // A number: written without quotes, in JSON too.
  LogLine& kv(std::string_view key, long long value);
  // Writes line(now, getpid()) with one write(2).
  void emit();
  // The whole line with its newline. text: "TIMESTAMP mxrelay[PID]: event=... key=value ...";
  // json: {"time":"TIMESTAMP","pid":PID,"event":"...","key":"value",...}. TIMESTAMP is UTC
  // with milliseconds: "2026-01-02T03:04:05.678Z".
  std::string line(std::chrono::system_clock::time_point now, int pid) const;
  // The fields so far: "event=... key=value" (text) or "\"event\":\"...\",\"key\":..." (json).
  const std::string& text() const { return text_; }

 private:
  LogFormat format_;
  std::string text_;
};

}  // namespace mxrelay::core
