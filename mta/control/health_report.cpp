// mta/control: health snapshots as JSON, and the "skipped addresses" section of `mxrelay route`.
#include "mta/control/health_report.hpp"

#include <algorithm>
#include <string>

#include "mta/control/control_server.hpp"

namespace mxrelay::mta {

namespace json = boost::json;

namespace {
std::string text_of(const json::object& entry, const char* key) {
  const auto* value = entry.if_contains(key);
  return value && value->is_string() ? std::string(value->as_string()) : std::string();
}

std::int64_t number_of(const json::object& entry, const char* key) {
  const auto* value = entry.if_contains(key);
  return value && value->is_int64() ? value->as_int64() : 0;
}

std::string describe(const json::object& entry) {
  std::string line = "  " + text_of(entry, "address") + " (destination " +
                     text_of(entry, "destination") + "): breaker " + text_of(entry, "state") +
                     " after " + std::to_string(number_of(entry, "consecutive_failures")) +
                     " consecutive failures";
  if (!text_of(entry, "held_by").empty())
    line = "  " + text_of(entry, "address") + " (destination " + text_of(entry, "destination") +
           "): breaker opened by relay " + text_of(entry, "held_by") + " of the cluster";
  if (text_of(entry, "state") == "open")
    line += ", next probe in " + std::to_string(number_of(entry, "retry_in_seconds")) + "s";
  return line + "\n    last: " + text_of(entry, "last_problem") + ": " +
         text_of(entry, "last_reason") + "\n";
}
}  // namespace

json::array health_to_json(const std::vector<UnhealthyAddress>& unhealthy) {
  json::array out;
  for (const auto& address : unhealthy) {
    const auto retry_in = std::chrono::ceil<std::chrono::seconds>(address.retry_in).count();
    out.push_back(json::object{
        {"destination", address.destination},
        {"address", address.address.str()},
        {"state", std::string(to_string(address.state))},
        {"consecutive_failures", address.consecutive_failures},
        {"last_problem", std::string(to_string(address.last_problem))},
        {"last_reason", address.last_reason},
        {"retry_in_seconds", static_cast<std::int64_t>(retry_in)},
        {"held_by", address.held_by.empty() ? json::value(nullptr) : json::value(address.held_by)},
    });
  }
  return out;
}

json::array health_for_route(const json::array& health,
                             const resolver::RouteExplanation& explanation) {
  std::vector<std::string> addresses;
  if (explanation.result)
    for (const auto& candidate : *explanation.result) addresses.push_back(candidate.address.str());
  json::array out;
  for (const auto& value : health) {
    if (!value.is_object()) continue;
    const auto& entry = value.as_object();
    const auto destination = text_of(entry, "destination");
    const bool ours = destination == explanation.domain || destination == explanation.lookup_name ||
                      std::ranges::find(addresses, text_of(entry, "address")) != addresses.end();
    if (ours) out.push_back(entry);
  }
  return out;
}

void print_skipped_addresses(std::ostream& out, const conf::Config& config,
                             const resolver::RouteExplanation& explanation, bool json) {
  if (json) return;
  out << "skipped addresses (circuit breaker of the running relay):\n";
  auto reply =
      control_request(control_socket_path(config.queue.dir), json::object{{"command", "health"}});
  if (!reply || !reply->contains("addresses") || !(*reply)["addresses"].is_array()) {
    out << "  unknown: " << (reply ? "the relay gave no health data" : reply.error()) << "\n";
    return;
  }
  const auto relevant = health_for_route((*reply)["addresses"].as_array(), explanation);
  if (relevant.empty()) out << "  none\n";
  for (const auto& entry : relevant) out << describe(entry.as_object());
}

}  // namespace mxrelay::mta
