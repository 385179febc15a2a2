// resolver: the pure RFC 5321 section 5.1 next-hop policy (with RFC 7505 null MX).
// No I/O: it takes DNS answers as plain data, a PolicyContext and a random source, and
// decides in two steps: plan_mx_hosts() turns the MX answer into the hosts whose addresses
// must be looked up next (or a Failure), choose_candidates() turns those address answers
// into the ordered delivery candidates (or a Failure). Notes explain every skip.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "core/ip_address.hpp"
#include "core/smtp_status.hpp"
#include "dns_answer.hpp"
#include "route.hpp"

namespace mxrelay::resolver {

// The random source for shuffling; tests seed it to make every decision reproducible.
using RandomSource = std::mt19937_64;

// What the policy needs to know about the configuration and about this relay itself.
struct PolicyContext {
  std::vector<std::string> mx_required;  // canonical domains: MX NODATA is a DNS fault
  conf::IpVersion ip_version = conf::IpVersion::any;
  unsigned max_addresses = 5;                       // candidates per attempt; 0 means no limit
  std::uint16_t port = 25;                          // destination port of every candidate
  std::vector<std::string> own_names;               // canonical host names of this relay
  std::vector<conf::ListenEndpoint> own_endpoints;  // where this relay listens (loop check)

  // dns.mx_required, delivery.*, server.hostname / delivery.helo_name, server.listen.
  static PolicyContext from_config(const conf::Config& config);
};

struct MxHost {
  std::string name;  // canonical
  int preference = 0;
};

// Where the hosts of a plan came from; decides the failure when none of them has an address.
enum class HostSource {
  mx,           // the domain's MX records
  implicit_mx,  // no MX: the domain itself stands in (RFC 5321 5.1)
  named_host,   // one host named by configuration (transport map `host =`)
};

// The hosts whose addresses decide the route, in the order they are to be tried.
struct MxPlan {
  std::string domain;
  HostSource source = HostSource::mx;
  std::vector<MxHost> hosts;
  std::vector<std::string> notes;
};

// Which address record types to ask for under the configured IP version.
std::vector<RrType> address_types(conf::IpVersion version);

// Step 1 of MX routing: the domain's MX answer -> the hosts to resolve, or a Failure.
std::expected<MxPlan, core::Failure> plan_mx_hosts(std::string_view domain,
                                                   const DnsAnswer& mx_answer,
                                                   const PolicyContext& context,
                                                   RandomSource& random);

// The plan for one explicitly named next-hop host (transport map `host =`): no MX involved.
MxPlan plan_single_host(std::string_view host);

// Step 2: address answers (matched to hosts by qname) -> ordered candidates or a Failure.
// Notes on skipped hosts and addresses are appended to notes.
RouteResult choose_candidates(const MxPlan& plan, std::span<const DnsAnswer> address_answers,
                              const PolicyContext& context, RandomSource& random,
                              std::vector<std::string>& notes);

// A next hop given as an address literal ("192.0.2.1", "[2001:db8::1]"), if it is one.
std::optional<core::IpAddress> parse_address_literal(std::string_view host);

// A literal next-hop address -> one candidate, or the loop failure if it is this relay.
RouteResult literal_candidate(std::string_view host, const core::IpAddress& address,
                              const PolicyContext& context, std::vector<std::string>& notes);

}  // namespace mxrelay::resolver
