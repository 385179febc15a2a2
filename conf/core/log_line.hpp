// core: LogLine, the builder of one log event: its name, its severity, then its fields in
// order; emit() writes it in the process-wide format (log_format) to stderr or the journal
// (log_output).
#pragma once

#include <concepts>
#include <string>
#include <string_view>

#include "log_event.hpp"
#include "log_format.hpp"

namespace mxrelay::core {

class LogLine {
 public:
  explicit LogLine(std::string_view event, Severity severity = Severity::info);
  LogLine& kv(std::string_view key, std::string_view value);
  // A number: written without quotes in JSON.
  template <std::integral Number>
  LogLine& kv(std::string_view key, Number value) {
    return number(key, std::to_string(static_cast<long long>(value)));
  }
  // Seconds and other fractions, to the millisecond: "0.125".
  LogLine& kv(std::string_view key, double value) { return number(key, seconds_text(value)); }
  void emit();

  const LogEvent& event() const { return event_; }
  // The fields as format writes them: "event=... key=value" or "\"event\":\"...\",...".
  std::string text(LogFormat format = log_format()) const;

 private:
  LogLine& number(std::string_view key, std::string value);
  LogEvent event_;
};

}  // namespace mxrelay::core
