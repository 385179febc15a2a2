// mta/cluster: one connection to the cluster's Redis server: a hiredis asynchronous context
// driven from the Asio io_context (its socket watched through a posix::stream_descriptor that
// hiredis' read/write hooks arm and disarm), commands as awaitables that give up after the
// configured timeout, and a background loop that connects, and reconnects with back-off (100 ms
// doubling to 5 s) whenever the connection drops. The connection is up once Redis has answered
// a PING on it. A reply slower than the timeout counts as Redis being unreachable: the
// connection is dropped and made again. Nothing here blocks the
// loop: a host name is resolved by Asio's resolver, and while the connection is down a command
// fails at once.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mta/cluster/redis_reply.hpp"

struct redisAsyncContext;

namespace mxrelay::mta {

struct RedisEndpoint {
  std::string host;  // a name, or an IP address without brackets
  std::uint16_t port = 6379;
  std::chrono::milliseconds timeout{200};  // for a reply, and for connecting
};

// The back-off before reconnection attempt `failures` (1: the first): 100 ms, doubling, at most
// 5 s. Pure.
std::chrono::milliseconds reconnect_delay(unsigned failures);

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  using Clock = std::chrono::steady_clock;
  // Called when the connection comes up (true) or goes down (false, with the reason).
  using StateHandler = std::function<void(bool up, const std::string& reason)>;

  static std::shared_ptr<RedisConnection> create(boost::asio::any_io_executor executor,
                                                 RedisEndpoint endpoint, StateHandler on_state);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts connecting (in the background, until stop()).
  void start();
  // Closes the connection and ends the background loop; commands waiting fail.
  void stop();
  bool up() const { return state_ == State::connected; }

  // Sends one command (argv, binary-safe) and waits for its reply until `deadline` (a reply
  // later than that drops the connection). An error reply is a reply; a failure to get one is
  // the error string. Fails at once while the connection is not up.
  boost::asio::awaitable<std::expected<RedisReply, std::string>> command(
      std::vector<std::string> args, Clock::time_point deadline);

 private:
  // connecting: TCP; verifying: the PING that proves Redis answers.
  enum class State { idle, connecting, verifying, connected, stopped };
  struct Socket;
  struct Pending;

  RedisConnection(boost::asio::any_io_executor executor, RedisEndpoint endpoint,
                  StateHandler on_state);
  boost::asio::awaitable<void> run();
  // One connection attempt to `address`; returns "" once connected, else why not.
  boost::asio::awaitable<std::string> connect(const std::string& address);
  boost::asio::awaitable<std::expected<std::string, std::string>> resolve();
  // command() in any state with a context.
  boost::asio::awaitable<std::expected<RedisReply, std::string>> send(std::vector<std::string> args,
                                                                      Clock::time_point deadline);
  // Frees the hiredis context (commands waiting get no reply) and notes why.
  void drop(const std::string& reason);
  void wake() { event_.cancel(); }

  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_reply(redisAsyncContext* context, void* reply, void* data);

  boost::asio::any_io_executor executor_;
  RedisEndpoint endpoint_;
  StateHandler on_state_;
  State state_ = State::idle;
  bool started_ = false;
  std::shared_ptr<Socket> socket_;
  std::string lost_reason_;          // why the connection (or the attempt) ended
  boost::asio::steady_timer event_;  // the background loop's wake-up
};

}  // namespace mxrelay::mta
