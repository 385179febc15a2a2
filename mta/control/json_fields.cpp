// mta/control: reading the relay's JSON replies safely, for the command-line reports.
#include "mta/control/json_fields.hpp"

#include <cstdio>
#include <ctime>

namespace mxrelay::mta {

namespace json = boost::json;

std::string utc_time_text(std::int64_t unix_seconds) {
  auto t = static_cast<std::time_t>(unix_seconds);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%a %b %d %H:%M:%S", &utc);
  return buf;
}

// Keeps newlines (a CRLF becomes a newline) and tabs; every other control character becomes
// \xNN.
std::string printable(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto c = static_cast<unsigned char>(raw[i]);
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') continue;  // CRLF ends a line
    if ((c < ' ' && c != '\n' && c != '\t') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string json_text(const json::object& o, const char* key) {
  auto found = o.if_contains(key);
  return found && found->is_string() ? printable(found->as_string()) : std::string();
}

std::int64_t json_number(const json::object& o, const char* key) {
  auto found = o.if_contains(key);
  if (!found || !found->is_number()) return 0;
  boost::system::error_code error;
  auto value = found->to_number<std::int64_t>(error);
  return error ? 0 : value;
}

bool json_flag(const json::object& o, const char* key) {
  auto found = o.if_contains(key);
  return found && found->is_bool() && found->as_bool();
}

}  // namespace mxrelay::mta
