// mta/cluster: a Lua script run on the Redis server: loaded with SCRIPT LOAD on first use,
// called with EVALSHA, and loaded again when Redis answers NOSCRIPT (it restarted, or its
// script cache was flushed).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <expected>
#include <string>
#include <vector>

#include "mta/cluster/redis_connection.hpp"

namespace mxrelay::mta {

class RedisScript {
 public:
  explicit RedisScript(std::string source) : source_(std::move(source)) {}

  // The script's reply, or why there is none: no reply in time, or an error reply (the
  // script's own included) as its text.
  boost::asio::awaitable<std::expected<RedisReply, std::string>> run(
      RedisConnection& connection, std::vector<std::string> keys, std::vector<std::string> args,
      RedisConnection::Clock::time_point deadline);

 private:
  boost::asio::awaitable<std::expected<RedisReply, std::string>> load(
      RedisConnection& connection, RedisConnection::Clock::time_point deadline);

  std::string source_;
  std::string sha_;  // "" until loaded
};

}  // namespace mxrelay::mta
