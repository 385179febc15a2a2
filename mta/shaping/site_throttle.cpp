// mta/shaping: LimitReduction and SiteThrottle.
#include "mta/shaping/site_throttle.hpp"

#include <algorithm>

namespace mxrelay::mta {

namespace {
// A limit halved again and again stops here: a sixteenth of it.
constexpr double kLowestFactor = 1.0 / 16;
constexpr double kRestartAfterSuspension = 0.25;
}  // namespace

std::chrono::steady_clock::duration recovery_step(std::chrono::seconds duration) {
  return std::min<std::chrono::steady_clock::duration>(duration, std::chrono::minutes(1));
}

double LimitReduction::factor(Clock::time_point now) const {
  if (level_ >= 1) return 1;
  if (now < until_) return level_;
  if (step_ <= Clock::duration::zero()) return 1;
  const auto steps = (now - until_) / step_;
  double out = recover_from_;
  for (Clock::rep i = 0; i < steps && out < 1; ++i) out *= 2;
  return std::min(out, 1.0);
}

std::optional<LimitReduction::Clock::time_point> LimitReduction::next_change(
    Clock::time_point now) const {
  if (factor(now) >= 1) return std::nullopt;
  // A halving recovers from the level it holds: its first change is a step after until_.
  if (now < until_ && level_ != recover_from_) return until_;
  const auto from = std::max(now, until_);
  return until_ + ((from - until_) / step_ + 1) * step_;
}

void LimitReduction::reduce(double level, double recover_from, Clock::time_point until,
                            Clock::duration step) {
  level_ = level;
  recover_from_ = std::max(recover_from, kLowestFactor);
  until_ = until;
  step_ = step;
}

SiteThrottle::Clock::time_point SiteThrottle::apply(const conf::ThrottleRule& rule,
                                                    std::string reply, Clock::time_point now) {
  const auto until = now + rule.duration;
  const auto step = recovery_step(rule.duration);
  ++replies_;
  last_reply_ = std::move(reply);
  last_action_ = rule.action;
  switch (rule.action) {
    case conf::ThrottleAction::suspend:
      suspended_until_ = std::max(suspended_until_, until);
      rate_.reduce(0, kRestartAfterSuspension, suspended_until_, step);
      connections_.reduce(0, kRestartAfterSuspension, suspended_until_, step);
      return suspended_until_;
    case conf::ThrottleAction::halve_rate: {
      const auto half = std::max(rate_.factor(now) / 2, kLowestFactor);
      rate_.reduce(half, half, until, step);
      return now + step;
    }
    case conf::ThrottleAction::halve_connections: {
      const auto half = std::max(connections_.factor(now) / 2, kLowestFactor);
      connections_.reduce(half, half, until, step);
      return now + step;
    }
  }
  return now + step;
}

bool SiteThrottle::impose_suspension(Clock::time_point until, std::string reply,
                                     Clock::time_point now) {
  if (until <= now || until <= suspended_until_) return false;
  const auto step = recovery_step(std::chrono::ceil<std::chrono::seconds>(until - now));
  suspended_until_ = until;
  rate_.reduce(0, kRestartAfterSuspension, until, step);
  connections_.reduce(0, kRestartAfterSuspension, until, step);
  last_reply_ = std::move(reply);
  last_action_ = conf::ThrottleAction::suspend;
  return true;
}

std::optional<SiteThrottle::Clock::time_point> SiteThrottle::suspended_until(
    Clock::time_point now) const {
  if (now < suspended_until_) return suspended_until_;
  return std::nullopt;
}

const char* SiteThrottle::last_action() const {
  return last_action_ ? conf::to_string(*last_action_) : "";
}

}  // namespace mxrelay::mta
