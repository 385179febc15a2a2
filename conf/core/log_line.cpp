// core: formatting and emission of log lines, as key=value text or as JSON.
#include "log_line.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <ctime>

namespace mxrelay::core {

namespace {

std::atomic<LogFormat> g_log_format{LogFormat::text};

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

void append_text_value(std::string& out, std::string_view value) {
  if (needs_quotes(value))
    append_quoted(out, value);
  else
    out += value;
}

// The length of the well-formed UTF-8 sequence (RFC 3629) starting at text[at], or 0.
std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[at + i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  if (lead < 0xc2 || lead > 0xf4 || at + length > text.size()) return 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (lead == 0xe0) low = 0xa0;   // overlong
  if (lead == 0xed) high = 0x9f;  // surrogates
  if (lead == 0xf0) low = 0x90;   // overlong
  if (lead == 0xf4) high = 0x8f;  // beyond U+10FFFF
  if (byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if ((byte(i) & 0xc0) != 0x80) return 0;
  return length;
}

// A JSON string; control characters and DEL as \u00XX, bytes that are not UTF-8 as U+FFFD.
void append_json_string(std::string& out, std::string_view value) {
  out += '"';
  for (std::size_t i = 0; i < value.size();) {
    auto c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      std::size_t length = utf8_sequence_length(value, i);
      out += length == 0 ? std::string_view("\\ufffd") : value.substr(i, length);
      i += length == 0 ? 1 : length;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < ' ' || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
    ++i;
  }
  out += '"';
}

void append_json_key(std::string& out, std::string_view key) {
  if (!out.empty()) out += ',';
  append_json_string(out, key);
  out += ':';
}

std::string utc_timestamp(std::chrono::system_clock::time_point now) {
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[40];
  int n = std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                        utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                        utc.tm_sec, static_cast<int>(millis));
  return std::string(text, static_cast<std::size_t>(n));
}

}  // namespace

void set_log_format(LogFormat format) {
  g_log_format.store(format, std::memory_order_relaxed);
}

LogFormat log_format() {
  return g_log_format.load(std::memory_order_relaxed);
}

LogLine::LogLine(std::string_view event, LogFormat format) : format_(format) {
  text_.reserve(256);
  if (format_ == LogFormat::json) {
    append_json_key(text_, "event");
    append_json_string(text_, event);
  } else {
    text_ += "event=";
    text_ += event;
  }
}

LogLine& LogLine::kv(std::string_view key, std::string_view value) {
  if (format_ == LogFormat::json) {
    append_json_key(text_, key);
    append_json_string(text_, value);
  } else {
    text_ += ' ';
    text_ += key;
    text_ += '=';
    append_text_value(text_, value);
  }
  return *this;
}

LogLine& LogLine::kv(std::string_view key, long long value) {
  if (format_ == LogFormat::text) return kv(key, std::string_view(std::to_string(value)));
  append_json_key(text_, key);
  text_ += std::to_string(value);
  return *this;
}

std::string LogLine::line(std::chrono::system_clock::time_point now, int pid) const {
  std::string out;
  out.reserve(text_.size() + 64);
  if (format_ == LogFormat::json) {
    out += "{\"time\":\"" + utc_timestamp(now) + "\",\"pid\":" + std::to_string(pid) + ',';
    out += text_;
    out += "}\n";
  } else {
    out += utc_timestamp(now) + " mxrelay[" + std::to_string(pid) + "]: ";
    out += text_;
    out += '\n';
  }
  return out;
}

void LogLine::emit() {
  auto text = line(std::chrono::system_clock::now(), static_cast<int>(getpid()));
  auto written = ::write(STDERR_FILENO, text.data(), text.size());
  (void)written;
}

}  // namespace mxrelay::core
