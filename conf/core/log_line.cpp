// core: formatting and emission of key=value log lines.
#include "log_line.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace mxrelay::core {

namespace {
bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (unsigned char c : value)
    if (c <= ' ' || c == '"' || c == '\\' || c == '=' || c >= 0x7f) return true;
  return false;
}

void append_quoted(std::string& out, std::string_view value) {
  out += '"';
  for (unsigned char c : value) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < ' ' || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}
}  // namespace

LogLine::LogLine(std::string_view event) {
  text_.reserve(256);
  text_ += "event=";
  text_ += event;
}

LogLine& LogLine::kv(std::string_view key, std::string_view value) {
  text_ += ' ';
  text_ += key;
  text_ += '=';
  if (needs_quotes(value))
    append_quoted(text_, value);
  else
    text_ += value;
  return *this;
}

LogLine& LogLine::kv(std::string_view key, long long value) {
  return kv(key, std::string_view(std::to_string(value)));
}

void LogLine::emit() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char prefix[64];
  int n = std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ mxrelay[%d]: ",
                        utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                        utc.tm_sec, static_cast<int>(millis), static_cast<int>(getpid()));
  std::string line;
  line.reserve(static_cast<std::size_t>(n) + text_.size() + 1);
  line.append(prefix, static_cast<std::size_t>(n));
  line += text_;
  line += '\n';
  auto written = ::write(STDERR_FILENO, line.data(), line.size());
  (void)written;
}

}  // namespace mxrelay::core
