// mta/control: JSON encoding of queue views and their mailq/postcat-style text.
#include "mta/control/queue_report.hpp"

#include "mta/control/json_fields.hpp"

namespace mxrelay::mta {

namespace json = boost::json;

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
  out["requiretls"] = detail.require_tls;
  out["headers"] = detail.headers;
  out["transcript"] = detail.transcript;
  return out;
}

std::string render_queue_list(const json::array& entries) {
  std::string out = "-Queue ID-       --Size-- ----Arrival Time---- -Sender/Recipient-------\n";
  std::int64_t total_bytes = 0;
  for (const auto& value : entries) {
    const auto& e = value.as_object();
    auto size = json_number(e, "size");
    total_bytes += size;
    auto id = json_text(e, "id") + (json_flag(e, "held")        ? "!"
                                    : json_flag(e, "in_flight") ? "*"
                                                                : "");
    auto sender = json_text(e, "sender");
    char line[256];
    std::snprintf(line, sizeof line, "%-17s %8lld %-20s  %s\n", id.c_str(),
                  static_cast<long long>(size), utc_time_text(json_number(e, "arrival")).c_str(),
                  sender.empty() ? "MAILER-DAEMON" : sender.c_str());
    out += line;
    auto error = json_text(e, "last_error");
    if (!error.empty()) out += "  (" + error + ")\n";
    for (const auto& r : e.at("recipients").as_array()) {
      const auto& recipient = r.as_object();
      if (json_text(recipient, "state") != "pending") continue;
      out += std::string(49, ' ') + json_text(recipient, "address") + "\n";
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
  field("queue_id: ", json_text(d, "id"));
  field("arrival: ", utc_time_text(json_number(d, "arrival")) + " UTC");
  field("size: ", std::to_string(json_number(d, "size")));
  field("client: ", "[" + json_text(d, "client") + "] helo=" + json_text(d, "helo"));
  field("sender: ", "<" + json_text(d, "sender") + ">");
  if (json_flag(d, "requiretls"))
    field("requiretls: ", "yes (verified TLS on every hop, RFC 8689)");
  for (const auto& r : d.at("recipients").as_array()) {
    const auto& recipient = r.as_object();
    field("recipient: ",
          "<" + json_text(recipient, "address") + "> " + json_text(recipient, "state"));
  }
  auto state = json_flag(d, "held")        ? "held"
               : json_flag(d, "in_flight") ? "being delivered"
                                           : "queued";
  field("state: ", state);
  field("attempts: ", std::to_string(json_number(d, "attempts")));
  if (json_number(d, "attempts") > 0)
    field("next_attempt: ", utc_time_text(json_number(d, "next_attempt")) + " UTC");
  if (!json_text(d, "last_error").empty()) field("last_error: ", json_text(d, "last_error"));
  out += "\n*** HEADERS ***\n" + json_text(d, "headers");
  auto transcript = json_text(d, "transcript");
  if (!transcript.empty()) out += "\n*** LAST FAILED ATTEMPT (SMTP transcript) ***\n" + transcript;
  return out;
}

}  // namespace mxrelay::mta
