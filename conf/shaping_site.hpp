// conf: traffic shaping per site ([[shaping]]): a site groups the recipient domains whose MX
// hosts share a provider (by the hosts' name suffixes) and sets how fast this relay sends to
// it: concurrent connections, messages per connection, messages per minute, and the replies
// ([[shaping.on_reply]]) that mean "slow down". Built-in sites for Microsoft, Google and
// Yahoo apply unless an entry of the same `site` replaces them.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mxrelay::conf {

// What a throttling reply does to its site for `duration`.
enum class ThrottleAction { suspend, halve_rate, halve_connections };
const char* to_string(ThrottleAction action);

// A reply that means "slow down": matched by its enhanced status code (a prefix by whole
// components: "4.7" matches 4.7.650), by phrases of which the reply must contain one
// (case-insensitive, ASCII), or by both (both must match). Phrases, not regular expressions:
// a reply is untrusted input and a phrase search costs linear time whatever it holds.
struct ThrottleRule {
  std::string code;               // "4.7.650"; "" to match any code
  std::vector<std::string> text;  // "rate limit", ...; empty to match any text
  ThrottleAction action = ThrottleAction::suspend;
  std::chrono::seconds duration{std::chrono::minutes(15)};
};

struct ShapingSite {
  std::string site;                      // lower-case name: also the metrics label
  std::vector<std::string> mx_suffixes;  // ".olc.protection.outlook.com": canonical, dot first
  std::size_t max_connections = 0;       // concurrent connections from this relay; 0: no limit
  std::size_t max_messages_per_connection = 0;  // 0: delivery.max_messages_per_connection
  std::size_t max_messages_per_minute = 0;      // 0: no rate limit
  std::vector<ThrottleRule> on_reply;
  std::string where;  // FILE:LINE:COLUMN of the entry; "built-in" for a default site
};

// The built-in sites (microsoft, google, yahoo), in that order.
std::vector<ShapingSite> default_shaping_sites();

}  // namespace mxrelay::conf
