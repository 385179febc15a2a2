// mta/control: the shaping sites' wire format and texts (see site_report.hpp).
#include "mta/control/site_report.hpp"

#include <algorithm>
#include <map>

#include "mta/control/control_server.hpp"
#include "mta/control/json_fields.hpp"
#include "mta/shaping/site_matcher.hpp"
#include "queue/queue_entry.hpp"
#include "resolver/candidate_hosts.hpp"

namespace mxrelay::mta {

namespace json = boost::json;

namespace {

std::int64_t unix_of(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

const conf::ShapingSite* route_site(const conf::Config& config,
                                    const resolver::RouteExplanation& explanation) {
  if (!explanation.result) return nullptr;
  return site_for(config.shaping, resolver::candidate_hosts(*explanation.result));
}

std::string limit_text(std::size_t limit, const char* unit) {
  return limit == 0 ? std::string("no limit on ") + unit : std::to_string(limit) + " " + unit;
}

std::string rule_text(const conf::ThrottleRule& rule) {
  std::string match;
  if (!rule.code.empty()) match = rule.code;
  if (!rule.text.empty()) {
    match += match.empty() ? "text " : " and text ";
    for (std::size_t i = 0; i < rule.text.size(); ++i)
      match += (i == 0 ? "\"" : " or \"") + printable(rule.text[i]) + "\"";
  }
  return match + " -> " + conf::to_string(rule.action) + " for " +
         std::to_string(rule.duration.count()) + " s";
}

json::object limits_json(const conf::ShapingSite& site) {
  json::array rules;
  for (const auto& rule : site.on_reply)
    rules.push_back(json::object{{"code", rule.code},
                                 {"text", json::array(rule.text.begin(), rule.text.end())},
                                 {"action", conf::to_string(rule.action)},
                                 {"duration_seconds", rule.duration.count()}});
  return json::object{{"max_connections", site.max_connections},
                      {"max_messages_per_connection", site.max_messages_per_connection},
                      {"max_messages_per_minute", site.max_messages_per_minute},
                      {"on_reply", std::move(rules)},
                      {"defined_at", site.where}};
}

// The running relay's state of the site, or why it is not known.
std::expected<json::object, std::string> site_state(const conf::Config& config,
                                                    const std::string& site) {
  auto reply =
      control_request(control_socket_path(config.queue.dir), json::object{{"command", "sites"}});
  if (!reply) return std::unexpected(reply.error());
  const auto* sites = reply->if_contains("sites");
  if (!sites || !sites->is_array()) return std::unexpected("the relay gave no site data");
  for (const auto& entry : sites->as_array())
    if (entry.is_object() && json_text(entry.as_object(), "site") == site) return entry.as_object();
  return std::unexpected("the relay does not know site " + site + " (reload it?)");
}

// {"limits": "cluster" or "fallback", "connections" (null: not known), "suspended_until"
// (Unix time or null), "suspended_by", "suspension_reply"}, or null without a [cluster].
json::value cluster_json(const std::optional<ClusterShareStatus>& cluster) {
  if (!cluster) return nullptr;
  json::object out{{"limits", cluster->shared ? "cluster" : "fallback"},
                   {"connections", nullptr},
                   {"suspended_until", nullptr},
                   {"suspended_by", cluster->suspended_by},
                   {"suspension_reply", cluster->suspension_reply}};
  if (cluster->connections) out["connections"] = *cluster->connections;
  if (cluster->suspended_until) out["suspended_until"] = unix_of(*cluster->suspended_until);
  return out;
}

json::object share_json(const SiteView& view,
                        const std::optional<std::chrono::system_clock::time_point>& suspended,
                        const std::optional<ClusterShareStatus>& cluster) {
  json::object entry{{"site", view.site},
                     {"open_connections", view.open_connections},
                     {"connection_limit", view.connection_limit},
                     {"rate_limit", view.rate_limit},
                     {"messages_last_minute", view.messages_last_minute},
                     {"suspended_until", nullptr},
                     {"last_reply", view.last_reply},
                     {"last_action", view.last_action},
                     {"throttle_replies", view.throttle_replies}};
  if (suspended) entry["suspended_until"] = unix_of(*suspended);
  entry["cluster"] = cluster_json(cluster);
  return entry;
}

}  // namespace

json::array sites_to_json(const std::vector<SiteStatus>& sites) {
  json::array out;
  for (const auto& site : sites) {
    auto entry = share_json(site.view, site.suspended_until, site.cluster);
    json::array sources;
    for (const auto& share : site.sources) {
      auto item = share_json(share.view, share.suspended_until, share.cluster);
      item.erase("site");
      item["source"] =
          share.view.source.empty() ? json::value(nullptr) : json::value(share.view.source);
      sources.push_back(std::move(item));
    }
    entry["sources"] = std::move(sources);
    out.push_back(std::move(entry));
  }
  return out;
}

json::array queue_summary(const std::vector<queue::QueueEntryView>& entries,
                          const std::function<std::string(const std::string&)>& site_of_domain) {
  struct Row {
    std::size_t messages = 0;
    std::int64_t next_attempt = 0;
  };
  std::map<std::pair<std::string, std::string>, Row> rows;
  for (const auto& entry : entries) {
    std::vector<std::string> sites;
    for (const auto& recipient : entry.recipients) {
      if (recipient.state != queue::RecipientState::pending) continue;
      auto site = site_of_domain(queue::recipient_domain(recipient.address));
      if (site.empty()) site = "unrouted";
      if (std::ranges::find(sites, site) == sites.end()) sites.push_back(site);
    }
    const auto reason = entry.held                 ? std::string("held")
                        : entry.last_error.empty() ? std::string("not attempted yet")
                                                   : entry.last_error;
    for (const auto& site : sites) {
      auto& row = rows[{site, reason}];
      row.next_attempt = row.messages == 0 ? entry.next_attempt_unix
                                           : std::min(row.next_attempt, entry.next_attempt_unix);
      ++row.messages;
    }
  }
  std::vector<std::pair<std::pair<std::string, std::string>, Row>> sorted(rows.begin(), rows.end());
  std::ranges::stable_sort(
      sorted, [](const auto& a, const auto& b) { return a.second.messages > b.second.messages; });
  json::array out;
  for (const auto& [key, row] : sorted)
    out.push_back(json::object{{"site", key.first},
                               {"reason", key.second},
                               {"messages", row.messages},
                               {"next_attempt", row.next_attempt}});
  return out;
}

json::value cluster_summary(const std::vector<SiteStatus>& sites) {
  json::array out;
  for (const auto& site : sites) {
    auto cluster = cluster_json(site.cluster);
    if (!cluster.is_object()) continue;
    cluster.as_object()["site"] = site.view.site;
    out.push_back(std::move(cluster));
  }
  if (out.empty()) return nullptr;
  return out;
}

namespace {

// "N connection(s) open across the cluster", the suspension, or that the fallback is in force.
std::string cluster_text(const json::object& cluster) {
  if (json_text(cluster, "limits") != "cluster")
    return "Redis unavailable: this relay keeps to its fallback share of the limits";
  std::string out = "the cluster's limits, ";
  const auto* connections = cluster.if_contains("connections");
  out += connections && connections->is_number()
             ? std::to_string(json_number(cluster, "connections")) + " connection(s) open"
             : std::string("connections not known yet");
  if (json_number(cluster, "suspended_until") > 0)
    out += ", suspended by " + json_text(cluster, "suspended_by") + " until " +
           utc_time_text(json_number(cluster, "suspended_until")) + " UTC (" +
           json_text(cluster, "suspension_reply") + ")";
  return out;
}

}  // namespace

std::string render_cluster_summary(const json::array& sites) {
  std::string out = "\nACROSS THE CLUSTER\n";
  for (const auto& value : sites)
    if (value.is_object())
      out += "  " + json_text(value.as_object(), "site") + ": " + cluster_text(value.as_object()) +
             "\n";
  return out;
}

std::string render_queue_summary(const json::array& rows) {
  std::string out = "SITE                 MESSAGES  NEXT ATTEMPT (UTC)   LAST REASON\n";
  for (const auto& value : rows) {
    if (!value.is_object()) continue;
    const auto& row = value.as_object();
    char line[96];
    std::snprintf(line, sizeof line, "%-20s %8lld  %-19s  ", json_text(row, "site").c_str(),
                  static_cast<long long>(json_number(row, "messages")),
                  utc_time_text(json_number(row, "next_attempt")).c_str());
    out += line + json_text(row, "reason") + "\n";
  }
  if (rows.empty()) out += "(the queue is empty)\n";
  return out;
}

namespace {

// Each configured source address's share of the site (nothing when none is configured).
void print_source_shares(std::ostream& out, const json::object& state) {
  const auto* sources = state.if_contains("sources");
  if (!sources || !sources->is_array()) return;
  for (const auto& value : sources->as_array()) {
    if (!value.is_object()) continue;
    const auto& share = value.as_object();
    const auto* source = share.if_contains("source");
    if (!source || !source->is_string()) continue;
    const auto limit = json_number(share, "connection_limit");
    out << "  from " << source->as_string().c_str() << ": "
        << json_number(share, "open_connections") << " connection(s) open (limit "
        << (limit == 0 ? std::string("none") : std::to_string(limit)) << "), "
        << json_number(share, "messages_last_minute") << " message(s) in the last minute";
    if (json_number(share, "suspended_until") > 0)
      out << ", suspended until " << utc_time_text(json_number(share, "suspended_until")) << " UTC";
    out << "\n";
    if (!json_text(share, "last_reply").empty())
      out << "    last throttling reply: " << json_text(share, "last_reply") << "\n";
    if (const auto* cluster = share.if_contains("cluster"); cluster && cluster->is_object())
      out << "    across the cluster: " << cluster_text(cluster->as_object()) << "\n";
  }
}

}  // namespace

void print_route_site(std::ostream& out, const conf::Config& config,
                      const resolver::RouteExplanation& explanation) {
  const auto* site = route_site(config, explanation);
  if (!site) {
    out << "shaping site: none (no MX host matches a [[shaping]] suffix: delivery limits only)\n";
    return;
  }
  out << "shaping site: " << site->site << " (" << site->where << ")\n";
  out << "  limits: " << limit_text(site->max_connections, "connections") << ", "
      << limit_text(site->max_messages_per_connection, "messages per connection") << ", "
      << limit_text(site->max_messages_per_minute, "messages per minute") << "\n";
  for (const auto& rule : site->on_reply) out << "  on reply " << rule_text(rule) << "\n";
  auto state = site_state(config, site->site);
  if (!state) {
    out << "  now: unknown: " << state.error() << "\n";
    return;
  }
  const auto limit = json_number(*state, "connection_limit");
  out << "  now: " << json_number(*state, "open_connections") << " connection(s) open (limit "
      << (limit == 0 ? std::string("none") : std::to_string(limit)) << "), rate limit "
      << (json_number(*state, "rate_limit") == 0
              ? std::string("none")
              : std::to_string(json_number(*state, "rate_limit")) + " a minute")
      << ", " << json_number(*state, "messages_last_minute") << " message(s) in the last minute\n";
  if (json_number(*state, "suspended_until") > 0)
    out << "  suspended until " << utc_time_text(json_number(*state, "suspended_until"))
        << " UTC\n";
  if (!json_text(*state, "last_reply").empty())
    out << "  last throttling reply (" << json_number(*state, "throttle_replies")
        << " so far, action " << json_text(*state, "last_action")
        << "): " << json_text(*state, "last_reply") << "\n";
  if (const auto* cluster = state->if_contains("cluster"); cluster && cluster->is_object())
    out << "  across the cluster: " << cluster_text(cluster->as_object()) << "\n";
  print_source_shares(out, *state);
}

json::object route_site_json(const conf::Config& config,
                             const resolver::RouteExplanation& explanation) {
  const auto* site = route_site(config, explanation);
  if (!site) return json::object{{"site", nullptr}};
  json::object out{{"site", site->site}, {"limits", limits_json(*site)}};
  auto state = site_state(config, site->site);
  if (state)
    out["state"] = std::move(*state);
  else
    out["state_error"] = state.error();
  return out;
}

}  // namespace mxrelay::mta
