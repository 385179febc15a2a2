// mta/control: JSON encoding of queue views and their mailq/postcat-style text.
#include "mta/control/queue_report.hpp"

#include <cstdio>
#include <ctime>

namespace mxrelay::mta {

namespace json = boost::json;

namespace {
std::string local_time(std::int64_t unix_seconds) {
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

std::string text(const json::object& o, const char* key) {
  auto found = o.if_contains(key);
  return found && found->is_string() ? printable(found->as_string()) : std::string();
}

std::int64_t number(const json::object& o, const char* key) {
  auto found = o.if_contains(key);
  if (!found || !found->is_number()) return 0;
  boost::system::error_code error;
  auto value = found->to_number<std::int64_t>(error);
  return error ? 0 : value;
}

bool flag(const json::object& o, const char* key) {
  auto found = o.if_contains(key);
  return found && found->is_bool() && found->as_bool();
}
}  // namespace

json::object to_json(const QueueEntryView& view) {
  json::array recipients;
  for (const auto& r : view.recipients)
    recipients.push_back(json::object{{"address", r.address}, {"state", to_string(r.state)}});
  return json::object{{"id", view.id},
                      {"arrival", view.arrival_unix},
                      {"size", view.size},
                      {"sender", view.sender},
                      {"recipients", std::move(recipients)},
                      {"attempts", view.attempts},
                      {"next_attempt", view.next_attempt_unix},
                      {"last_error", view.last_error},
                      {"held", view.held},
                      {"in_flight", view.in_flight}};
}

json::object to_json(const QueueEntryDetail& detail) {
  auto out = to_json(detail.view);
  out["client"] = detail.client_address;
  out["helo"] = detail.helo;
  out["headers"] = detail.headers;
  out["transcript"] = detail.transcript;
  return out;
}

std::string render_queue_list(const json::array& entries) {
  std::string out = "-Queue ID-       --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  std::int64_t total_bytes = 0;
  for (const auto& value : entries) {
    const auto& e = value.as_object();
    auto size = number(e, "size");
    total_bytes += size;
    auto id = text(e, "id") + (flag(e, "held") ? "!" : flag(e, "in_flight") ? "*" : "");
    auto sender = text(e, "sender");
    char line[256];
    std::snprintf(line, sizeof line, "%-17s %8lld %-20s  %s\n", id.c_str(),
                  static_cast<long long>(size), local_time(number(e, "arrival")).c_str(),
                  sender.empty() ? "MAILER-DAEMON" : sender.c_str());
    out += line;
    auto error = text(e, "last_error");
    if (!error.empty()) out += "  (" + error + ")\n";
    for (const auto& r : e.at("recipients").as_array()) {
      const auto& recipient = r.as_object();
      if (text(recipient, "state") != "pending") continue;
      out += std::string(49, ' ') + text(recipient, "address") + "\n";
    }
    out += "\n";
  }
  if (entries.empty()) return "Mail queue is empty\n";
  out += "-- " + std::to_string((total_bytes + 1023) / 1024) + " Kbytes in " +
         std::to_string(entries.size()) + (entries.size() == 1 ? " Request.\n" : " Requests.\n");
  return out;
}

std::string render_queue_entry(const json::object& d) {
  std::string out;
  auto field = [&](const char* name, const std::string& value) {
    out += name;
    out += value;
    out += "\n";
  };
  field("queue_id: ", text(d, "id"));
  field("arrival: ", local_time(number(d, "arrival")) + " UTC");
  field("size: ", std::to_string(number(d, "size")));
  field("client: ", "[" + text(d, "client") + "] helo=" + text(d, "helo"));
  field("sender: ", "<" + text(d, "sender") + ">");
  for (const auto& r : d.at("recipients").as_array()) {
    const auto& recipient = r.as_object();
    field("recipient: ", "<" + text(recipient, "address") + "> " + text(recipient, "state"));
  }
  auto state = flag(d, "held") ? "held" : flag(d, "in_flight") ? "being delivered" : "queued";
  field("state: ", state);
  field("attempts: ", std::to_string(number(d, "attempts")));
  if (number(d, "attempts") > 0)
    field("next_attempt: ", local_time(number(d, "next_attempt")) + " UTC");
  if (!text(d, "last_error").empty()) field("last_error: ", text(d, "last_error"));
  out += "\n*** HEADERS ***\n" + text(d, "headers");
  auto transcript = text(d, "transcript");
  if (!transcript.empty()) out += "\n*** LAST FAILED ATTEMPT (SMTP transcript) ***\n" + transcript;
  return out;
}

}  // namespace mxrelay::mta
