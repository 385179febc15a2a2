// mta/outbound: which of the configured source addresses (delivery.source_addresses) a
// delivery attempt sends from, and which of the next hop's addresses it may then try. Each
// attempt sends from one source address: the sources usable for a next hop are those of a
// family its addresses have; among them an attempt takes the one where the message keeps a
// rate slot, else one with room (below its connection limit, its rate letting a message go
// now), the one with the fewest open connections first and, among equals, the one chosen
// longest ago (round robin); a suspended source is taken only when every one is. The
// attempt then tries the addresses of its source's family, and those of a family no source
// is configured for (the kernel chooses that family's source). Pure.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/ip_address.hpp"
#include "resolver/route.hpp"

namespace mxrelay::mta {

// One usable source address as the choice sees it now.
struct SourceOption {
  std::size_t open = 0;     // connections open from it (to the site; in all without a site)
  std::size_t limit = 0;    // its connection limit now (0: none)
  bool suspended = false;   // its share of the site is suspended
  bool keeps_slot = false;  // the message was sent away to wait for a rate slot kept on it
  std::chrono::steady_clock::time_point next_slot{};  // when its rate lets a message go
  std::uint64_t last_chosen = 0;                      // a counter; 0: never chosen
};

// The index of the option to send from; options must not be empty.
std::size_t choose_source(std::span<const SourceOption> options,
                          std::chrono::steady_clock::time_point now);

// The configured sources of a family the candidates have, in their configured order.
std::vector<core::IpAddress> usable_sources(std::span<const core::IpAddress> configured,
                                            std::span<const resolver::Candidate> candidates);

// The candidates an attempt from `source` tries (nullopt: no source configured for any of
// their families, all of them), in the resolver's order.
std::vector<resolver::Candidate> candidates_from(std::span<const resolver::Candidate> candidates,
                                                 const std::optional<core::IpAddress>& source,
                                                 std::span<const core::IpAddress> configured);

}  // namespace mxrelay::mta
