// core: Postfix's line shapes for the events Postfix also logs; the program of every event.
#include "postfix_log.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "ascii_case.hpp"
#include "control_characters.hpp"

namespace mxrelay::core {

namespace {

// The Postfix program whose work an event reports; "mxrelay/NAME" in the log.
constexpr std::array<std::pair<std::string_view, std::string_view>, 33> kPrograms{{
    {"connect", "smtpd"},
    {"disconnect", "smtpd"},
    {"connection_refused", "smtpd"},
    {"reject", "smtpd"},
    {"auth", "smtpd"},
    {"accepted", "smtpd"},
    {"store_failed", "smtpd"},
    {"tls_failed", "smtpd"},
    {"delivery", "smtp"},
    {"tls", "smtp"},
    {"outbound_auth_failed", "smtp"},
    {"address_skipped", "smtp"},
    {"destination_backoff", "smtp"},
    {"dkim_error", "smtp"},
    {"dsn", "bounce"},
    {"dsn_failed", "bounce"},
    {"dsn_dropped", "bounce"},
    {"removed", "qmgr"},
    {"hold", "qmgr"},
    {"release", "qmgr"},
    {"flush", "qmgr"},
    {"deleted", "qmgr"},
    {"recovered", "qmgr"},
    {"spool_corrupt", "qmgr"},
    {"spool_read_failed", "qmgr"},
    {"spool_write_failed", "qmgr"},
    {"spool_remove_failed", "qmgr"},
    {"started", "master"},
    {"listening", "master"},
    {"stopping", "master"},
    {"stopped", "master"},
    {"reload", "master"},
    {"queue_command", "master"},
}};

std::string program_of(std::string_view event) {
  for (const auto& [name, program] : kPrograms)
    if (name == event) return "mxrelay/" + std::string(program);
  return "mxrelay/master";
}

// A field's value, its control characters escaped: remote text cannot end the line.
std::string field(const LogEvent& event, std::string_view key) {
  const auto* value = event.find(key);
  return value ? escape_control_characters(*value) : std::string();
}

// "[192.0.2.7]" as Postfix names a client without a verified host name: "unknown[192.0.2.7]".
std::string client_of(const LogEvent& event) {
  auto client = field(event, "client");
  return client.starts_with('[') ? "unknown" + client : client;
}

double number_of(const LogEvent& event, std::string_view key) {
  const auto* value = event.find(key);
  return value ? std::strtod(value->c_str(), nullptr) : 0.0;
}

// The command a reject answered, as Postfix names it: "RCPT", "MAIL", "END-OF-MESSAGE".
std::string rejected_command(std::string_view command) {
  if (command == "end of data") return "END-OF-MESSAGE";
  const auto verb = command.substr(0, command.find_first_of(" :"));
  return upper_ascii(verb);
}

// The address of "RCPT TO:<a@b>" / "MAIL FROM:<a@b> SIZE=1", or "" when the command has none.
std::string command_address(std::string_view command) {
  const auto open = command.find('<');
  const auto close = command.find('>', open);
  if (open == std::string_view::npos || close == std::string_view::npos) return "";
  return std::string(command.substr(open + 1, close - open - 1));
}

std::vector<LogRecord> rejection(const LogEvent& event, const std::string& program) {
  const auto command = field(event, "command");
  auto message = "NOQUEUE: reject: " + rejected_command(command) + " from " + client_of(event) +
                 ": " + field(event, "reply") + ";";
  if (event.find("from")) message += " from=" + field(event, "from");
  if (equals_ignoring_case(command.substr(0, 4), "RCPT"))
    message += " to=<" + command_address(command) + ">";
  message += " proto=ESMTP";
  if (event.find("helo")) message += " helo=<" + field(event, "helo") + ">";
  return {{program, message}};
}

std::vector<LogRecord> accepted(const LogEvent& event, const std::string& program) {
  const auto id = field(event, "queue_id");
  auto client = id + ": client=" + client_of(event);
  if (event.find("sasl_username")) client += ", sasl_username=" + field(event, "sasl_username");
  return {
      {program, client},
      {"mxrelay/qmgr", id + ": from=" + field(event, "from") + ", size=" + field(event, "size") +
                           ", nrcpt=" + field(event, "nrcpt") + " (queue active)"}};
}

std::vector<LogRecord> delivery(const LogEvent& event, const std::string& program) {
  const auto delays = postfix_seconds(number_of(event, "delay_before_queue")) + "/" +
                      postfix_seconds(number_of(event, "delay_in_queue")) + "/" +
                      postfix_seconds(number_of(event, "delay_connection")) + "/" +
                      postfix_seconds(number_of(event, "delay_transmission"));
  return {{program, field(event, "queue_id") + ": to=" + field(event, "to") +
                        ", relay=" + field(event, "relay") +
                        ", delay=" + postfix_seconds(number_of(event, "delay")) +
                        ", delays=" + delays + ", dsn=" + field(event, "dsn") +
                        ", status=" + field(event, "status") + " (" + field(event, "reply") + ")"}};
}

std::vector<LogRecord> notification(const LogEvent& event, const std::string& program) {
  const auto action = field(event, "action");
  const char* kind = action == "failed"    ? "sender non-delivery notification"
                     : action == "delayed" ? "sender delay notification"
                                           : "sender delivery status notification";
  return {{program, field(event, "original") + ": " + kind + ": " + field(event, "queue_id")}};
}

// Any other event: its fields as key=value text, after its severity and its queue ID.
std::vector<LogRecord> generic(const LogEvent& event, const std::string& program) {
  std::string message;
  if (event.severity == Severity::error) message = "error: ";
  if (event.severity == Severity::warning) message = "warning: ";
  LogEvent rest{event.name, event.severity, {}};
  for (const auto& one : event.fields) {
    if (one.key == "queue_id" && !one.value.empty())
      message += one.value + ": ";
    else
      rest.fields.push_back(one);
  }
  return {{program, message + render_fields(rest, LogFormat::text)}};
}

}  // namespace

std::vector<LogRecord> postfix_records(const LogEvent& event) {
  const auto program = program_of(event.name);
  const auto& name = event.name;
  if (name == "connect" || name == "disconnect")
    return {{program, name + " from " + client_of(event)}};
  if (name == "reject") return rejection(event, program);
  if (name == "accepted") return accepted(event, program);
  if (name == "delivery") return delivery(event, program);
  if (name == "removed") return {{program, field(event, "queue_id") + ": removed"}};
  if (name == "dsn") return notification(event, program);
  if (name == "auth" && field(event, "result") == "failure")
    return {{program, "warning: " + client_of(event) + ": SASL " + field(event, "mechanism") +
                          " authentication failed: authentication failure"}};
  return generic(event, program);
}

std::string postfix_seconds(double seconds) {
  if (seconds < 0.01) return "0";
  char text[32];
  std::snprintf(text, sizeof text,
                seconds < 0.995  ? "%.2f"
                : seconds < 9.95 ? "%.1f"
                                 : "%.0f",
                seconds);
  return text;
}

}  // namespace mxrelay::core
