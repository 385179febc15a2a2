// resolver: the outcome of next-hop resolution for one destination domain: an ordered list
// of delivery candidates, or a Failure (temporary: defer; permanent: bounce).
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

#include "core/ip_address.hpp"
#include "core/smtp_status.hpp"
#include "dns_answer.hpp"

namespace mxrelay::resolver {

// One address to try, in order.
struct Candidate {
  std::string host;  // MX exchange (or the domain itself for implicit MX, or a transport host)
  int preference = 0;
  core::IpAddress address;
  std::uint16_t port = 25;
};

using RouteResult = std::expected<std::vector<Candidate>, core::Failure>;

// What `mxrelay route` shows: every query made, how the hosts were chosen, the result.
struct RouteExplanation {
  std::string domain;
  std::string lookup_name;      // the name whose MX was resolved (domain, or an override)
  std::string transport;        // which transport-map rule applied and why; "" when not asked
  std::string transport_entry;  // FILE:LINE:COLUMN of that entry; "" without one
  bool implicit_mx = false;
  std::vector<DnsAnswer> queries;
  std::vector<std::string> notes;  // e.g. "skipped MX host localhost: loops back"
  RouteResult result;
};

}  // namespace mxrelay::resolver
