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

const TrafficShaper::Site* TrafficShaper::find(const conf::ShapingSite& site,
                                               std::string_view source) const {
  const auto found = sites_.find(key_of(site, source));
  return found == sites_.end() ? nullptr : &found->second;
}

bool TrafficShaper::known(const conf::ShapingSite& site, std::string_view source) const {
  return find(site, source) != nullptr;
}

std::size_t TrafficShaper::connection_limit(const conf::ShapingSite& site, Clock::time_point now,
                                            std::string_view source) const {
  const auto* state = find(site, source);
  return state ? connection_limit(site, *state, now) : site.max_connections;
}

double TrafficShaper::rate_limit(const conf::ShapingSite& site, Clock::time_point now,
                                 std::string_view source) const {
  const auto* state = find(site, source);
  return state ? rate_limit(site, *state, now) : static_cast<double>(site.max_messages_per_minute);
}

bool TrafficShaper::keeps_slot(const conf::ShapingSite& site, const std::string& message_id,
                               std::string_view source) const {
  const auto* state = find(site, source);
  return state && state->reservations.contains(message_id);
}

TrafficShaper::Clock::time_point TrafficShaper::next_slot(const conf::ShapingSite& site,
                                                          const std::string& message_id,
                                                          Clock::time_point now,
                                                          std::string_view source) const {
  const auto* state = find(site, source);
  if (!state || rate_limit(site, *state, now) <= 0) return now;
  if (const auto kept = state->reservations.find(message_id); kept != state->reservations.end())
    return kept->second;
  if (!state->bucket) return now;
  return state->bucket->next_free(now);
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
    const conf::ShapingSite& site, Clock::time_point now, std::string_view source) const {
  const auto* state = find(site, source);
  if (!state) return std::nullopt;
  return state->throttle.suspended_until(now);
}

std::string TrafficShaper::suspension_reason(const conf::ShapingSite& site, Clock::time_point now,
                                             std::string_view source) const {
  const auto until = suspended_until(site, now, source);
  if (!until) return {};
  const auto whom = source.empty() ? site.site : site.site + " from " + std::string(source);
  return "site " + whom +
         " is suspended after the reply: " + find(site, source)->throttle.last_reply();
}

SiteAdmission TrafficShaper::admit(const conf::ShapingSite& site, const std::string& message_id,
                                   Clock::time_point now, std::string_view source) {
  auto& state = sites_[key_of(site, source)];
  if (const auto until = state.throttle.suspended_until(now))
    return SiteAdmission{SiteAdmission::Kind::later, *until, suspension_reason(site, now, source),
                         true};
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
                           " messages a minute" +
                           (source.empty() ? std::string() : " from " + std::string(source)),
                       false, slot};
}

TrafficShaper::Clock::time_point TrafficShaper::throttled(const conf::ShapingSite& site,
                                                          const conf::ThrottleRule& rule,
                                                          std::string reply, std::size_t open,
                                                          Clock::time_point now,
                                                          std::string_view source) {
  auto& state = sites_[key_of(site, source)];
  if (state.throttle.rate_factor(now) >= 1)
    state.rate_base = std::max(1.0, last_minute(state, now));
  if (state.throttle.connection_factor(now) >= 1)
    state.connection_base = std::max<std::size_t>(1, open);
  return state.throttle.apply(rule, std::move(reply), now);
}

bool TrafficShaper::impose_suspension(const conf::ShapingSite& site, Clock::time_point until,
                                      std::string reply, std::size_t open, Clock::time_point now,
                                      std::string_view source) {
  auto& state = sites_[key_of(site, source)];
  const bool rate_whole = state.throttle.rate_factor(now) >= 1;
  const bool connections_whole = state.throttle.connection_factor(now) >= 1;
  if (!state.throttle.impose_suspension(until, std::move(reply), now)) return false;
  if (rate_whole) state.rate_base = std::max(1.0, last_minute(state, now));
  if (connections_whole) state.connection_base = std::max<std::size_t>(1, open);
  return true;
}

SiteView TrafficShaper::view(const conf::ShapingSite& site, std::size_t open, Clock::time_point now,
                             std::string_view source) const {
  SiteView out;
  out.site = site.site;
  out.source = source;
  out.open_connections = open;
  out.connection_limit = site.max_connections;
  out.rate_limit = static_cast<double>(site.max_messages_per_minute);
  const auto* found = find(site, source);
  if (!found) return out;
  const auto& state = *found;
  out.connection_limit = connection_limit(site, state, now);
  out.rate_limit = rate_limit(site, state, now);
  out.messages_last_minute = last_minute(state, now);
  out.suspended_until = state.throttle.suspended_until(now);
  out.last_reply = state.throttle.last_reply();
  out.last_action = state.throttle.last_action();
  out.throttle_replies = state.throttle.replies();
  return out;
}

SiteView whole_site(std::string site, std::span<const SiteView> shares) {
  SiteView out;
  out.site = std::move(site);
  if (shares.empty()) return out;
  bool unlimited_connections = false;
  bool unlimited_rate = false;
  bool all_suspended = true;
  for (const auto& share : shares) {
    out.open_connections += share.open_connections;
    out.connection_limit += share.connection_limit;
    out.rate_limit += share.rate_limit;
    out.messages_last_minute += share.messages_last_minute;
    out.throttle_replies += share.throttle_replies;
    unlimited_connections = unlimited_connections || share.connection_limit == 0;
    unlimited_rate = unlimited_rate || share.rate_limit <= 0;
    if (!share.suspended_until)
      all_suspended = false;
    else if (!out.suspended_until || *share.suspended_until < *out.suspended_until)
      out.suspended_until = share.suspended_until;
    if (!share.last_reply.empty()) {
      out.last_reply = share.last_reply;
      out.last_action = share.last_action;
    }
  }
  if (unlimited_connections) out.connection_limit = 0;
  if (unlimited_rate) out.rate_limit = 0;
  if (!all_suspended) out.suspended_until.reset();
  return out;
}

}  // namespace mxrelay::mta
