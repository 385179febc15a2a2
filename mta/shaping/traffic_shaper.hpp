// mta/shaping: the traffic shaping of one relay: per site, the state that limits how fast mail
// leaves (the message-rate bucket and its reservations, the throttling replies and their
// recovery, the messages of the last minute) and the decisions made from it: may this message
// go now, what is the connection limit now, what a throttling reply does. The configured
// limits come in with each call (a reload applies at once); the time too, so every rule is a
// unit test with a fake clock. The delivery engine asks it; it does no I/O.
// With several source addresses (delivery.source_addresses) a site's state is kept per source
// address, as providers count per sending IP: every call names the source address its
// connections come from ("" when the kernel chooses: the site as a whole), and a site's limits
// and throttling replies hold for that source address's share alone.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "conf/shaping_site.hpp"
#include "mta/shaping/site_throttle.hpp"
#include "mta/shaping/token_bucket.hpp"

namespace mxrelay::mta {

// May a message go to its site now?
struct SiteAdmission {
  enum class Kind { go, later };
  Kind kind = Kind::go;
  // go: when it may leave (now, or within kLongestShapingWait: the attempt waits for it);
  // later: when to try again (the attempt ends without counting as a failure): the end of a
  // suspension, or the rate-limit slot; while a reduced rate recovers, no later than its
  // next step, where the slot it finds kept has moved with the rate.
  std::chrono::steady_clock::time_point at{};
  std::string reason;      // later: why, for the queue and the log
  bool suspended = false;  // later: the site is suspended (else: its rate limit)
  std::chrono::steady_clock::time_point slot{};  // later for the rate: the slot kept for it
};

// A message whose rate-limit slot is at most this far away waits for it in its attempt.
inline constexpr std::chrono::seconds kLongestShapingWait{1};

// What an operator sees of a site (`mxrelay route`, the metrics, `queue summary`).
struct SiteView {
  std::string site;
  std::string source;  // the source address of this share of the site; "" for the whole
  std::size_t open_connections = 0;
  std::size_t connection_limit = 0;  // in force now; 0: none
  double rate_limit = 0;             // messages per minute in force now; 0: none
  double messages_last_minute = 0;
  std::optional<std::chrono::steady_clock::time_point> suspended_until;
  std::string last_reply;   // the last throttling reply ("" before any)
  std::string last_action;  // what it did: suspend, halve_rate, halve_connections
  unsigned long long throttle_replies = 0;
};

// A site as a whole from its source addresses' shares: connections, limits and messages
// added up (a share without a limit: none), suspended while every share is (until the first
// ends), the replies counted together, the last reply one share's.
SiteView whole_site(std::string site, std::span<const SiteView> shares);

class TrafficShaper {
 public:
  using Clock = std::chrono::steady_clock;

  // message_id: the queued message, so that a message sent away to wait for its rate slot
  // finds that slot kept when it comes back.
  SiteAdmission admit(const conf::ShapingSite& site, const std::string& message_id,
                      Clock::time_point now, std::string_view source = {});
  // Until when the site is suspended, if it is now.
  std::optional<Clock::time_point> suspended_until(const conf::ShapingSite& site,
                                                   Clock::time_point now,
                                                   std::string_view source = {}) const;
  // Why a message of the suspended site waits ("" when it is not suspended).
  std::string suspension_reason(const conf::ShapingSite& site, Clock::time_point now,
                                std::string_view source = {}) const;
  // The site's connection limit now (0: none); open: its connections open now.
  std::size_t connection_limit(const conf::ShapingSite& site, Clock::time_point now,
                               std::string_view source = {}) const;
  // The site's messages per minute now (0: none).
  double rate_limit(const conf::ShapingSite& site, Clock::time_point now,
                    std::string_view source = {}) const;
  // When a new message could leave by the rate now (now without a rate limit), or the slot
  // kept for `message_id` when it was sent away to wait; nothing is reserved.
  Clock::time_point next_slot(const conf::ShapingSite& site, const std::string& message_id,
                              Clock::time_point now, std::string_view source = {}) const;
  // Whether a slot is kept for `message_id` on this share.
  bool keeps_slot(const conf::ShapingSite& site, const std::string& message_id,
                  std::string_view source = {}) const;
  // Whether this share has any state (a message admitted, a reply).
  bool known(const conf::ShapingSite& site, std::string_view source = {}) const;
  // A reply that matched `rule`; open: the site's connections open now. Returns when the
  // message that got it may be tried again.
  Clock::time_point throttled(const conf::ShapingSite& site, const conf::ThrottleRule& rule,
                              std::string reply, std::size_t open, Clock::time_point now,
                              std::string_view source = {});
  // Another relay of the cluster got a suspending reply from the site: suspend it here too
  // until `until` (then recover as after a suspension of this relay's own); open: the site's
  // connections open now. False when it is suspended that long already.
  bool impose_suspension(const conf::ShapingSite& site, Clock::time_point until, std::string reply,
                         std::size_t open, Clock::time_point now, std::string_view source = {});
  SiteView view(const conf::ShapingSite& site, std::size_t open, Clock::time_point now,
                std::string_view source = {}) const;

 private:
  struct Site {
    SiteThrottle throttle;
    std::optional<TokenBucket> bucket;
    std::map<std::string, Clock::time_point, std::less<>> reservations;  // by message ID
    // Messages admitted per second over the last minute (a ring; `second` is the newest).
    std::array<std::uint32_t, 60> per_second{};
    std::int64_t second = 0;
    // Without a configured limit, the rate or connection count when a reply first reduced
    // it: the base that the reduction's factor applies to.
    double rate_base = 0;
    std::size_t connection_base = 0;
  };

  static double rate_limit(const conf::ShapingSite& site, const Site& state, Clock::time_point now);
  static std::size_t connection_limit(const conf::ShapingSite& site, const Site& state,
                                      Clock::time_point now);
  static double last_minute(const Site& state, Clock::time_point now);
  static void count_admission(Site& state, Clock::time_point now);
  static SiteAdmission go(Site& state, Clock::time_point at, Clock::time_point now);

  // By site and source address.
  using Key = std::pair<std::string, std::string>;
  static Key key_of(const conf::ShapingSite& site, std::string_view source) {
    return {site.site, std::string(source)};
  }
  const Site* find(const conf::ShapingSite& site, std::string_view source) const;

  std::map<Key, Site> sites_;
};

}  // namespace mxrelay::mta
