// mta/cluster: what the relays of a cluster keep in Redis, by name: per site, under the
// configured prefix,
//   PREFIX conns:SITE    a sorted set of connection leases, member "NODE:N", score its expiry
//                        (Redis time in ms);
//   PREFIX rate:SITE     the site's rate bucket: its theoretical arrival time (Redis time in ms);
//   PREFIX suspend:SITE  a suspension, "NODE UNTIL REPLY" (UNTIL: Unix time in ms), expiring
//                        with it;
//   PREFIX health        a hash of the circuit breakers the relays opened: field
//                        "DESTINATION|ADDRESS", value "NODE UNTIL REASON" (as a suspension's,
//                        UNTIL in Redis time); ended holds are dropped whenever one is added,
//                        and the hash expires with the last one.
// A site's limits are kept per source address (delivery.source_addresses): SITE stands for the
// share, share_name(): "SITE@ADDRESS" for connections from a configured source address, the
// bare "SITE" for those whose source the kernel chooses. Relays binding the same source
// address share its limits; relays behind one NAT address that bind none share the bare key.
// Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::mta {

// The share of `site` for connections from `source` ("": the kernel chooses).
std::string share_name(std::string_view site, std::string_view source);

std::string lease_key(std::string_view prefix, std::string_view site);
std::string rate_key(std::string_view prefix, std::string_view site);
std::string suspension_key(std::string_view prefix, std::string_view site);
std::string health_key(std::string_view prefix);

// The health hash's field of an address of a destination (lower case), and back.
std::string health_field(std::string_view destination, std::string_view address);
struct HealthField {
  std::string destination;
  std::string address;
};
std::optional<HealthField> parse_health_field(std::string_view field);

// A site's suspension as one relay published it.
struct SuspensionRecord {
  std::string node;  // the relay that got the throttling reply (no spaces)
  std::int64_t until_unix_ms = 0;
  std::string reply;  // the reply, for the queue and the log

  bool operator==(const SuspensionRecord&) const = default;
};

std::string format_suspension(const SuspensionRecord& record);
// std::nullopt for a value that is not one (written by something else).
std::optional<SuspensionRecord> parse_suspension(std::string_view value);

}  // namespace mxrelay::mta
