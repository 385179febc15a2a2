// mta/cluster: the Lua scripts' text.
#include "mta/cluster/cluster_scripts.hpp"

#include <string>

namespace mxrelay::mta {

namespace {

// Redis time in ms (with a fraction).
constexpr std::string_view kNow = R"lua(local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
)lua";

}  // namespace

std::string_view acquire_lease_script() {
  static const std::string script = std::string(kNow) + R"lua(
local ttl = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl))
return 1
)lua";
  return script;
}

std::string_view renew_leases_script() {
  static const std::string script = std::string(kNow) + R"lua(
local ttl = tonumber(ARGV[1])
local renewed = {}
for i, key in ipairs(KEYS) do
  local member = ARGV[i + 1]
  local expiry = tonumber(redis.call('ZSCORE', key, member))
  if expiry and expiry > now then
    redis.call('ZADD', key, 'XX', now + ttl, member)
    redis.call('PEXPIRE', key, math.ceil(ttl))
    renewed[i] = 1
  else
    renewed[i] = 0
  end
end
return renewed
)lua";
  return script;
}

std::string_view reserve_rate_script() {
  static const std::string script = std::string(kNow) + R"lua(
local per_minute = tonumber(ARGV[1])
local interval = 60000 / per_minute
local burst = math.max(1, math.floor(per_minute / 10))
local tolerance = interval * (burst - 1)
local full_at = tonumber(redis.call('GET', KEYS[1])) or now
if full_at < now then full_at = now end
local leaves = math.max(now, full_at - tolerance)
local next_full_at = full_at + interval
redis.call('SET', KEYS[1], string.format('%.3f', next_full_at), 'PX',
           math.ceil(next_full_at - now))
return math.ceil(leaves - now)
)lua";
  return script;
}

std::string_view publish_health_script() {
  static const std::string script = std::string(kNow) + R"lua(
local hold = tonumber(ARGV[3])
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  local ends = tonumber(string.match(held[i + 1], '^%S+ (%d+) '))
  if not ends or ends <= now then redis.call('HDEL', KEYS[1], held[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1],
           ARGV[2] .. ' ' .. string.format('%d', math.floor(now + hold)) .. ' ' .. ARGV[4])
if redis.call('PTTL', KEYS[1]) < hold then redis.call('PEXPIRE', KEYS[1], math.ceil(hold)) end
return 1
)lua";
  return script;
}

std::string_view health_holds_script() {
  static const std::string script = std::string(kNow) + R"lua(
local out = {}
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  local ends = tonumber(string.match(held[i + 1], '^%S+ (%d+) '))
  if ends and ends > now then
    out[#out + 1] = held[i]
    out[#out + 1] = held[i + 1]
    out[#out + 1] = math.floor(ends - now)
  end
end
return out
)lua";
  return script;
}

std::string_view share_state_script() {
  static const std::string script = std::string(kNow) + R"lua(
local out = {}
for i = 1, #KEYS, 2 do
  out[#out + 1] = redis.call('ZCOUNT', KEYS[i], '(' .. string.format('%.3f', now), '+inf')
  out[#out + 1] = redis.call('GET', KEYS[i + 1])
end
return out
)lua";
  return script;
}

}  // namespace mxrelay::mta
