// resolver: the outcome of next-hop resolution for one destination domain: an ordered list
// of delivery candidates, or a Failure (temporary: defer; permanent: bounce).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
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

// The SMTP AUTH credentials a route's transport entry uses (never the password).
struct RouteAuth {
  std::string table;     // the [auth.NAME] table
  std::string username;  // its user name
};

// What `mxrelay route` shows: every query made, how the hosts were chosen, the result.
struct RouteExplanation {
  std::string domain;
  std::string a_label;            // the domain's A-label form when it differs from domain, else ""
  std::string u_label;            // its Unicode form when it differs from domain, else ""
  std::string lookup_name;        // the name whose MX was resolved (domain, or an override)
  std::string transport;          // which transport-map rule applied and why; "" when not asked
  std::string transport_entry;    // FILE:LINE:COLUMN of that entry; "" without one
  std::string tls;                // the TLS policy name; "" when not asked
  bool implicit_tls = false;      // TLS from the first byte
  std::optional<RouteAuth> auth;  // credentials are then sent only over TLS
  bool implicit_mx = false;
  std::vector<DnsAnswer> queries;
  std::vector<std::string> notes;  // e.g. "skipped MX host localhost: loops back"
  RouteResult result;
};

}  // namespace mxrelay::resolver
