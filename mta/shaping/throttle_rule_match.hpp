// mta/shaping: whether a next hop's reply is one of its site's "slow down" replies
// ([[shaping.on_reply]]). Only the server's own temporary replies (4xx) are read: a timeout or
// a refused connection is the address's health, a 5xx a bounce. Pure.
#pragma once

#include <span>
#include <string_view>

#include "conf/shaping_site.hpp"

namespace mxrelay::mta {

// The first rule that `reply` ("451 4.7.650 The mail server ...") matches; nullptr when none
// does or the reply is not a 4xx one.
const conf::ThrottleRule* matching_rule(std::span<const conf::ThrottleRule> rules,
                                        std::string_view reply);

// Whether the enhanced status `status` ("4.7.650") starts with `prefix` by whole components.
bool status_has_prefix(std::string_view status, std::string_view prefix);

}  // namespace mxrelay::mta
