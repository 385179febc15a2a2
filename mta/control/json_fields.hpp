// mta/control: the fields of the relay's JSON replies as the command-line reports print them: a
// missing or mistyped field reads as empty (or 0, false), and text from remote servers never
// reaches the terminal with its control characters.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace mxrelay::mta {

// "Fri Dec 04 13:30:00" (UTC).
std::string utc_time_text(std::int64_t unix_seconds);
// Keeps newlines (a CRLF becomes a newline) and tabs; every other control character becomes
// \xNN.
std::string printable(std::string_view raw);
std::string json_text(const boost::json::object& o, const char* key);
std::int64_t json_number(const boost::json::object& o, const char* key);
bool json_flag(const boost::json::object& o, const char* key);

}  // namespace mxrelay::mta
