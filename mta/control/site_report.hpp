// mta/control: traffic shaping for operators. The running relay answers the control socket's
// "sites" request with sites_to_json() and "summary" with queue_summary(); `mxrelay route`
// names the route's site, its limits and (asked from the relay) its state now, and `mxrelay
// queue summary` prints the queue counted per site and last reason.
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "mta/outbound/delivery_agent.hpp"
#include "queue/queue_manager.hpp"
#include "resolver/route.hpp"

namespace mxrelay::mta {

// [{"site","open_connections","connection_limit","rate_limit","messages_last_minute",
//   "suspended_until" (Unix time or null),"last_reply","last_action","throttle_replies",
//   "cluster","sources"}, ...]; "cluster" (null without a [cluster]): {"limits" ("cluster", or
//   "fallback" while Redis is unavailable),"connections" (every relay's; null: not known),
//   "suspended_until","suspended_by","suspension_reply"}.
boost::json::array sites_to_json(const std::vector<SiteStatus>& sites);
// The sites' "cluster" members, each with its "site", for `queue summary`; null without a
// [cluster].
boost::json::value cluster_summary(const std::vector<SiteStatus>& sites);
// The text of cluster_summary(), after the queue's rows.
std::string render_cluster_summary(const boost::json::array& sites);

// Queued messages counted per site and last reason, with the earliest next attempt of each:
// [{"site","reason","messages","next_attempt"}, ...], most messages first. A message counts
// once under each site it has pending recipients at; site_of_domain gives "" for a domain
// not attempted yet ("unrouted").
boost::json::array queue_summary(
    const std::vector<queue::QueueEntryView>& entries,
    const std::function<std::string(const std::string&)>& site_of_domain);
std::string render_queue_summary(const boost::json::array& rows);

// The route's shaping site (text after the route, or a "shaping" member for --json), with its
// state asked from the running relay.
void print_route_site(std::ostream& out, const conf::Config& config,
                      const resolver::RouteExplanation& explanation);
boost::json::object route_site_json(const conf::Config& config,
                                    const resolver::RouteExplanation& explanation);

}  // namespace mxrelay::mta
