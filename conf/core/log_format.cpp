// core: rendering of log events as key=value text, JSON and stderr lines.
#include "log_format.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>

#include "postfix_log.hpp"

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

std::string text_fields(const LogEvent& event) {
  std::string out = "event=" + event.name;
  for (const auto& field : event.fields) {
    out += ' ';
    out += field.key;
    out += '=';
    append_text_value(out, field.value);
  }
  return out;
}

std::string json_fields(const LogEvent& event) {
  std::string out;
  append_json_key(out, "event");
  append_json_string(out, event.name);
  for (const auto& field : event.fields) {
    append_json_key(out, field.key);
    if (field.number)
      out += field.value;
    else
      append_json_string(out, field.value);
  }
  return out;
}

}  // namespace

void set_log_format(LogFormat format) {
  g_log_format.store(format, std::memory_order_relaxed);
}

LogFormat log_format() {
  return g_log_format.load(std::memory_order_relaxed);
}

std::string render_fields(const LogEvent& event, LogFormat format) {
  return format == LogFormat::json ? json_fields(event) : text_fields(event);
}

std::vector<LogRecord> render_records(const LogEvent& event, LogFormat format) {
  switch (format) {
    case LogFormat::json:
      return {{"mxrelay", "{" + json_fields(event) + "}"}};
    case LogFormat::postfix:
      return postfix_records(event);
    case LogFormat::text:
      break;
  }
  return {{"mxrelay", text_fields(event)}};
}

std::string render_lines(const LogEvent& event, LogFormat format,
                         std::chrono::system_clock::time_point now, int pid,
                         std::string_view host) {
  const auto time = utc_timestamp(now);
  const auto pid_text = std::to_string(pid);
  if (format == LogFormat::json)
    return "{\"time\":\"" + time + "\",\"pid\":" + pid_text + ",\"severity\":\"" +
           to_string(event.severity) + "\"," + json_fields(event) + "}\n";
  std::string out;
  for (const auto& record : render_records(event, format)) {
    out += time;
    out += ' ';
    if (format == LogFormat::postfix) {
      out += host;
      out += ' ';
    }
    out += record.program + "[" + pid_text + "]: " + record.message + '\n';
  }
  return out;
}

std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", seconds);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  return out == "-0" ? "0" : out;
}

}  // namespace mxrelay::core
