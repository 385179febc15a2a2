// mta/cluster: the Lua scripts that keep the cluster's shared limits consistent: each runs
// atomically on the Redis server and reads the time from Redis (TIME), so the relays' clocks
// do not matter. Keys as in cluster_keys.
#pragma once

#include <string_view>

namespace mxrelay::mta {

// A connection lease. KEYS[1]: the site's lease set; ARGV: member ("NODE:N"), the limit, the
// lease's lifetime in ms. Drops the expired leases; while fewer than the limit are left, adds
// the member with its expiry and returns 1, else returns 0.
std::string_view acquire_lease_script();

// Renews leases. KEYS: lease sets; ARGV[1]: the lifetime in ms, ARGV[1 + i]: the member held in
// KEYS[i]. Each lease still there and not expired gets the new expiry (ZADD XX); returns one
// 1 (renewed) or 0 (gone) per key.
std::string_view renew_leases_script();

// A message's slot in the site's rate bucket, as TokenBucket's (the generic cell rate
// algorithm: a burst of max(1, per_minute / 10), then one message every minute / per_minute).
// KEYS[1]: the site's rate key; ARGV[1]: messages per minute (> 0). Reserves the slot and
// returns the ms until it (0: now).
std::string_view reserve_rate_script();

// A circuit breaker a relay opened. KEYS[1]: the health hash; ARGV: the field
// ("DESTINATION|ADDRESS"), the relay's name, the hold in ms, the reason. Drops the holds that
// ended, sets the field to "NODE UNTIL REASON" and makes the hash last at least as long as the
// hold; returns 1.
std::string_view publish_health_script();

// The holds in force. KEYS[1]: the health hash. Returns field, value and ms left of each hold
// that has not ended, one after the other.
std::string_view health_holds_script();

// The shares' state across the cluster. KEYS: a lease set and a suspension key per share.
// Returns per share the leases not expired, then the suspension's value (nil: none).
std::string_view share_state_script();

}  // namespace mxrelay::mta
