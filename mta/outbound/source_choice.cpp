// mta/outbound: choose_source, usable_sources and candidates_from.
#include "mta/outbound/source_choice.hpp"

#include <algorithm>
#include <tuple>

#include "mta/shaping/traffic_shaper.hpp"

namespace mxrelay::mta {

namespace {

bool has_family(std::span<const core::IpAddress> addresses, bool v6) {
  return std::ranges::any_of(
      addresses, [v6](const core::IpAddress& address) { return address.is_v6() == v6; });
}

}  // namespace

std::size_t choose_source(std::span<const SourceOption> options,
                          std::chrono::steady_clock::time_point now) {
  const bool all_suspended = std::ranges::all_of(options, &SourceOption::suspended);
  const auto usable = [&](const SourceOption& option) {
    return all_suspended || !option.suspended;
  };
  const auto has_room = [&](const SourceOption& option) {
    return (option.limit == 0 || option.open < option.limit) &&
           option.next_slot <= now + kLongestShapingWait;
  };
  // Lower is better: a kept slot, room, fewer connections, the earlier rate slot, chosen
  // longest ago.
  const auto rank = [&](const SourceOption& option) {
    return std::make_tuple(!option.keeps_slot, !has_room(option), option.open, option.next_slot,
                           option.last_chosen);
  };
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < options.size(); ++i) {
    if (!usable(options[i])) continue;
    if (!best || rank(options[i]) < rank(options[*best])) best = i;
  }
  return best.value_or(0);
}

std::vector<core::IpAddress> usable_sources(std::span<const core::IpAddress> configured,
                                            std::span<const resolver::Candidate> candidates) {
  std::vector<core::IpAddress> out;
  for (const auto& source : configured)
    if (std::ranges::any_of(candidates, [&](const resolver::Candidate& candidate) {
          return candidate.address.is_v6() == source.is_v6();
        }))
      out.push_back(source);
  return out;
}

std::vector<resolver::Candidate> candidates_from(std::span<const resolver::Candidate> candidates,
                                                 const std::optional<core::IpAddress>& source,
                                                 std::span<const core::IpAddress> configured) {
  std::vector<resolver::Candidate> out;
  for (const auto& candidate : candidates) {
    const bool v6 = candidate.address.is_v6();
    if ((source && source->is_v6() == v6) || !has_family(configured, v6)) out.push_back(candidate);
  }
  return out;
}

}  // namespace mxrelay::mta
