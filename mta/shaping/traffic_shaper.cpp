// mta/shaping: TrafficShaper.
#include "mta/shaping/traffic_shaper.hpp"

#include <algorithm>
#include <cmath>

namespace mxrelay::mta {

namespace {
// Reservations of messages that never came back (deleted, delivered elsewhere) are dropped
// once the map holds this many and they are this old.
constexpr std::size_t kReservationsBeforePruning = 10000;
constexpr auto kStaleReservation = std::chrono::minutes(10);

std::int64_t second_of(std::chrono::steady_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

}  // namespace

double TrafficShaper::rate_limit(const conf::ShapingSite& site, const Site& state,
                                 Clock::time_point now) {
  const auto factor = state.throttle.rate_factor(now);
  if (site.max_messages_per_minute > 0)
    return static_cast<double>(site.max_messages_per_minute) * factor;
  return factor < 1 ? state.rate_base * factor : 0;
}

std::size_t TrafficShaper::connection_limit(const conf::ShapingSite& site, const Site& state,
                                            Clock::time_point now) {
  const auto factor = state.throttle.connection_factor(now);
  const auto base = site.max_connections > 0 ? site.max_connections
                    : factor < 1             ? state.connection_base
                                             : 0;
  if (base == 0) return 0;
  return std::max<std::size_t>(
      1, static_cast<std::size_t>(std::ceil(static_cast<double>(base) * factor)));
}

std::size_t TrafficShaper::connection_limit(const conf::ShapingSite& site,
                                            Clock::time_point now) const {
  const auto found = sites_.find(site.site);
  return found == sites_.end() ? site.max_connections : connection_limit(site, found->second, now);
}

double TrafficShaper::rate_limit(const conf::ShapingSite& site, Clock::time_point now) const {
  const auto found = sites_.find(site.site);
  return found == sites_.end() ? static_cast<double>(site.max_messages_per_minute)
                               : rate_limit(site, found->second, now);
}

double TrafficShaper::last_minute(const Site& state, Clock::time_point now) {
  const auto size = static_cast<std::int64_t>(state.per_second.size());
  const auto oldest = second_of(now) - size + 1;
  double sum = 0;
  for (auto s = std::max(oldest, state.second - size + 1); s <= state.second; ++s)
    sum += state.per_second[static_cast<std::size_t>(s % size)];
  return sum;
}

void TrafficShaper::count_admission(Site& state, Clock::time_point now) {
  const auto second = second_of(now);
  const auto size = static_cast<std::int64_t>(state.per_second.size());
  if (second > state.second) {
    for (auto s = std::max(state.second + 1, second - size + 1); s <= second; ++s)
      state.per_second[static_cast<std::size_t>(s % size)] = 0;
    state.second = second;
  }
  ++state.per_second[static_cast<std::size_t>(state.second % size)];
}

SiteAdmission TrafficShaper::go(Site& state, Clock::time_point at, Clock::time_point now) {
  count_admission(state, now);
  return SiteAdmission{SiteAdmission::Kind::go, std::max(at, now), {}};
}

std::optional<TrafficShaper::Clock::time_point> TrafficShaper::suspended_until(
    const conf::ShapingSite& site, Clock::time_point now) const {
  const auto found = sites_.find(site.site);
  if (found == sites_.end()) return std::nullopt;
  return found->second.throttle.suspended_until(now);
}

std::string TrafficShaper::suspension_reason(const conf::ShapingSite& site,
                                             Clock::time_point now) const {
  const auto until = suspended_until(site, now);
  if (!until) return {};
  return "site " + site.site +
         " is suspended after the reply: " + sites_.find(site.site)->second.throttle.last_reply();
}

SiteAdmission TrafficShaper::admit(const conf::ShapingSite& site, const std::string& message_id,
                                   Clock::time_point now) {
  auto& state = sites_[site.site];
  if (const auto until = state.throttle.suspended_until(now))
    return SiteAdmission{SiteAdmission::Kind::later, *until, suspension_reason(site, now), true};
  const auto rate = rate_limit(site, state, now);
  if (rate <= 0) {
    state.bucket.reset();
    state.reservations.clear();
    return go(state, now, now);
  }
  if (!state.bucket) {
    state.bucket.emplace(rate);
  } else if (state.bucket->rate() != rate) {
    // The messages waiting for their slots move with the backlog of the bucket.
    const double stretch = state.bucket->rate() / rate;
    state.bucket->set_rate(rate, now);
    for (auto& [id, slot] : state.reservations)
      if (slot > now)
        slot = now + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>(slot - now) * stretch);
  }
  // A message back for the slot it was given uses that one; only a new message takes a token.
  const auto kept = state.reservations.find(message_id);
  const auto slot = kept != state.reservations.end() ? kept->second : state.bucket->reserve(now);
  if (kept != state.reservations.end()) state.reservations.erase(kept);
  if (slot <= now + kLongestShapingWait) return go(state, slot, now);
  if (state.reservations.size() >= kReservationsBeforePruning)
    std::erase_if(state.reservations,
                  [&](const auto& entry) { return entry.second + kStaleReservation < now; });
  state.reservations[message_id] = slot;
  auto back = slot;
  if (const auto change = state.throttle.next_rate_change(now)) back = std::min(back, *change);
  return SiteAdmission{SiteAdmission::Kind::later, back,
                       "site " + site.site + " is limited to " +
                           std::to_string(static_cast<long long>(std::lround(rate))) +
                           " messages a minute",
                       false, slot};
}

TrafficShaper::Clock::time_point TrafficShaper::throttled(const conf::ShapingSite& site,
                                                          const conf::ThrottleRule& rule,
                                                          std::string reply, std::size_t open,
                                                          Clock::time_point now) {
  auto& state = sites_[site.site];
  if (state.throttle.rate_factor(now) >= 1)
    state.rate_base = std::max(1.0, last_minute(state, now));
  if (state.throttle.connection_factor(now) >= 1)
    state.connection_base = std::max<std::size_t>(1, open);
  return state.throttle.apply(rule, std::move(reply), now);
}

bool TrafficShaper::impose_suspension(const conf::ShapingSite& site, Clock::time_point until,
                                      std::string reply, std::size_t open, Clock::time_point now) {
  auto& state = sites_[site.site];
  const bool rate_whole = state.throttle.rate_factor(now) >= 1;
  const bool connections_whole = state.throttle.connection_factor(now) >= 1;
  if (!state.throttle.impose_suspension(until, std::move(reply), now)) return false;
  if (rate_whole) state.rate_base = std::max(1.0, last_minute(state, now));
  if (connections_whole) state.connection_base = std::max<std::size_t>(1, open);
  return true;
}

SiteView TrafficShaper::view(const conf::ShapingSite& site, std::size_t open,
                             Clock::time_point now) const {
  SiteView out;
  out.site = site.site;
  out.open_connections = open;
  out.connection_limit = site.max_connections;
  out.rate_limit = static_cast<double>(site.max_messages_per_minute);
  const auto found = sites_.find(site.site);
  if (found == sites_.end()) return out;
  const auto& state = found->second;
  out.connection_limit = connection_limit(site, state, now);
  out.rate_limit = rate_limit(site, state, now);
  out.messages_last_minute = last_minute(state, now);
  out.suspended_until = state.throttle.suspended_until(now);
  out.last_reply = state.throttle.last_reply();
  out.last_action = state.throttle.last_action();
  out.throttle_replies = state.throttle.replies();
  return out;
}

}  // namespace mxrelay::mta
