// core: severity names and field lookup of a log event.
#include "log_event.hpp"

namespace mxrelay::core {

const char* to_string(Severity severity) {
  switch (severity) {
    case Severity::error:
      return "error";
    case Severity::warning:
      return "warning";
    case Severity::notice:
      return "notice";
    case Severity::info:
      return "info";
  }
  return "info";
}

int syslog_priority(Severity severity) {
  return static_cast<int>(severity);
}

const std::string* LogEvent::find(std::string_view key) const {
  for (const auto& field : fields)
    if (field.key == key) return &field.value;
  return nullptr;
}

}  // namespace mxrelay::core
