// core: one log event as a single Postfix-style line of key=value pairs on stderr.
// Values with spaces, quotes or control characters are quoted and escaped, so a
// log line can never be split or forged by remote input.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::core {

class LogLine {
 public:
  explicit LogLine(std::string_view event);
  LogLine& kv(std::string_view key, std::string_view value);
  LogLine& kv(std::string_view key, long long value);
  // Writes "TIMESTAMP mxrelay[PID]: event=... key=value ..." with one write(2).
  void emit();
  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace mxrelay::core
