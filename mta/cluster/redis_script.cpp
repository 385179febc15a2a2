// mta/cluster: RedisScript.
#include "mta/cluster/redis_script.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {

std::expected<RedisReply, std::string> without_error(std::expected<RedisReply, std::string> reply) {
  if (reply && reply->is_error()) return std::unexpected(reply->text);
  return reply;
}

}  // namespace

asio::awaitable<std::expected<RedisReply, std::string>> RedisScript::load(
    RedisConnection& connection, RedisConnection::Clock::time_point deadline) {
  std::vector<std::string> command{"SCRIPT", "LOAD", source_};
  auto answer = co_await connection.command(std::move(command), deadline);
  auto reply = without_error(std::move(answer));
  if (reply && reply->type != RedisReply::Type::string)
    co_return std::unexpected(std::string("SCRIPT LOAD gave no SHA1 digest"));
  if (reply) sha_ = reply->text;
  co_return reply;
}

asio::awaitable<std::expected<RedisReply, std::string>> RedisScript::run(
    RedisConnection& connection, std::vector<std::string> keys, std::vector<std::string> args,
    RedisConnection::Clock::time_point deadline) {
  if (sha_.empty()) {
    auto loaded = co_await load(connection, deadline);
    if (!loaded) co_return loaded;
  }
  std::vector<std::string> command{"EVALSHA", sha_, std::to_string(keys.size())};
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  auto reply = co_await connection.command(command, deadline);
  if (!reply || !reply->is_error("NOSCRIPT")) co_return without_error(std::move(reply));
  auto loaded = co_await load(connection, deadline);
  if (!loaded) co_return loaded;
  command[1] = sha_;
  auto retried = co_await connection.command(std::move(command), deadline);
  co_return without_error(std::move(retried));
}

}  // namespace mxrelay::mta
