// mta/shaping: how a site's throttling replies slow it down, and how it recovers. Each reply that
// matches a [[shaping.on_reply]] rule reduces the site for the rule's duration:
//   suspend            no message and no new connection until the duration ends;
//   halve_rate         the message rate at half of what it was (again halved by a further reply);
//   halve_connections  the connection limit at half of what it was.
// After the duration the reduced limit climbs back step by step, doubling once per step (a step
// lasts as long as the rule's duration, at most a minute): a suspension restarts at a quarter
// of the limits, then a half, then all of them; a halving goes from a half to all. Pure: the
// time comes in with each call.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "conf/shaping_site.hpp"

namespace mxrelay::mta {

// A factor (0 to 1) on one of the site's limits, with its recovery.
class LimitReduction {
 public:
  using Clock = std::chrono::steady_clock;

  // The factor now: 1 when not reduced.
  double factor(Clock::time_point now) const;
  // When the factor next changes after `now` (the end of the reduction or of a recovery
  // step); none when it is 1 for good.
  std::optional<Clock::time_point> next_change(Clock::time_point now) const;
  // During [now, until) the factor is `level`; then it restarts at `recover_from` and doubles
  // every `step` up to 1.
  void reduce(double level, double recover_from, Clock::time_point until, Clock::duration step);

 private:
  double level_ = 1;
  double recover_from_ = 1;
  Clock::time_point until_{};
  Clock::duration step_{};
};

class SiteThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  // Applies a matching reply. Returns when the message that got it may be tried again.
  Clock::time_point apply(const conf::ThrottleRule& rule, std::string reply, Clock::time_point now);
  // A suspension until `until` that another relay of the cluster got `reply` for: as a
  // suspending rule's, with its recovery, but not counted as a reply here. False when the site
  // is suspended until then or later already (nothing changes).
  bool impose_suspension(Clock::time_point until, std::string reply, Clock::time_point now);

  std::optional<Clock::time_point> suspended_until(Clock::time_point now) const;
  double rate_factor(Clock::time_point now) const { return rate_.factor(now); }
  std::optional<Clock::time_point> next_rate_change(Clock::time_point now) const {
    return rate_.next_change(now);
  }
  double connection_factor(Clock::time_point now) const { return connections_.factor(now); }
  // The last throttling reply and what it did ("" before any).
  const std::string& last_reply() const { return last_reply_; }
  const char* last_action() const;
  unsigned long long replies() const { return replies_; }

 private:
  LimitReduction rate_;
  LimitReduction connections_;
  Clock::time_point suspended_until_{};
  std::string last_reply_;
  std::optional<conf::ThrottleAction> last_action_;
  unsigned long long replies_ = 0;
};

// A recovery step for a rule of this duration.
std::chrono::steady_clock::duration recovery_step(std::chrono::seconds duration);

}  // namespace mxrelay::mta
