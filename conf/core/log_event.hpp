// core: one log event as data: its name, its severity (a syslog priority) and its fields in
// the order they were added, each a string or a number. The renderers (log_format,
// postfix_log) and the output (log_output) read it; LogLine builds it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::core {

// The syslog priorities mxrelay uses (RFC 5424 numbering): journald filters on them
// (`journalctl -p warning`) and the JSON format names them.
enum class Severity { error = 3, warning = 4, notice = 5, info = 6 };
const char* to_string(Severity severity);
int syslog_priority(Severity severity);

struct LogField {
  std::string key;
  std::string value;
  bool number = false;  // written without quotes in JSON
};

struct LogEvent {
  std::string name;
  Severity severity = Severity::info;
  std::vector<LogField> fields;

  // The value of the first field named key, or nullptr.
  const std::string* find(std::string_view key) const;
};

}  // namespace mxrelay::core
