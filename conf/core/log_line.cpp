// core: the LogLine builder.
#include "log_line.hpp"

#include "log_output.hpp"

namespace mxrelay::core {

LogLine::LogLine(std::string_view event, Severity severity)
    : event_{std::string(event), severity, {}} {
  event_.fields.reserve(8);
}

LogLine& LogLine::kv(std::string_view key, std::string_view value) {
  event_.fields.push_back({std::string(key), std::string(value), false});
  return *this;
}

LogLine& LogLine::number(std::string_view key, std::string value) {
  event_.fields.push_back({std::string(key), std::move(value), true});
  return *this;
}

void LogLine::emit() {
  write_log(event_);
}

std::string LogLine::text(LogFormat format) const {
  return render_fields(event_, format);
}

}  // namespace mxrelay::core
