// mta/cluster: RedisConnection, and the bridge from hiredis' event hooks to Asio.
#include "mta/cluster/redis_connection.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

namespace mxrelay::mta {

namespace asio = boost::asio;
using namespace boost::asio::experimental::awaitable_operators;

namespace {

constexpr std::chrono::milliseconds kFirstReconnectDelay{100};
constexpr std::chrono::milliseconds kLongestReconnectDelay{5000};
constexpr std::chrono::seconds kLongestResolution{5};

RedisReply to_reply(const redisReply& reply) {
  RedisReply out;
  switch (reply.type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::string;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::status;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::error;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::integer;
      out.integer = reply.integer;
      return out;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::array;
      for (std::size_t i = 0; i < reply.elements; ++i)
        out.elements.push_back(to_reply(*reply.element[i]));
      return out;
    default:
      return out;
  }
  out.text.assign(reply.str, reply.len);
  return out;
}

std::string milliseconds_text(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + " ms";
}

}  // namespace

std::chrono::milliseconds reconnect_delay(unsigned failures) {
  auto delay = kFirstReconnectDelay;
  for (unsigned i = 1; i < failures && delay < kLongestReconnectDelay; ++i) delay *= 2;
  return std::min(delay, kLongestReconnectDelay);
}

// The hiredis context's socket as Asio sees it. hiredis asks for readiness with its add/del
// hooks; each direction has at most one wait outstanding, and a wait that completes after its
// direction was disarmed is ignored. When hiredis frees the context (cleanup), the descriptor
// lets go of the socket without closing it (hiredis closes it) and waits still queued find no
// context.
struct RedisConnection::Socket : std::enable_shared_from_this<Socket> {
  Socket(asio::any_io_executor executor, redisAsyncContext* context_in)
      : descriptor(executor, context_in->c.fd), context(context_in) {}

  void arm(asio::posix::descriptor_base::wait_type direction) {
    const bool read = direction == asio::posix::descriptor_base::wait_read;
    bool& waiting = read ? reading : writing;
    if (waiting || !context || !(read ? want_read : want_write)) return;
    waiting = true;
    descriptor.async_wait(direction, [self = shared_from_this(), read,
                                      direction](const boost::system::error_code& error) {
      (read ? self->reading : self->writing) = false;
      if (error || !self->context || !(read ? self->want_read : self->want_write)) return;
      if (read)
        redisAsyncHandleRead(self->context);
      else
        redisAsyncHandleWrite(self->context);
      self->arm(direction);
    });
  }

  static Socket& of(void* data) { return *static_cast<Socket*>(data); }
  static void add_read(void* data) {
    of(data).want_read = true;
    of(data).arm(asio::posix::descriptor_base::wait_read);
  }
  static void del_read(void* data) { of(data).want_read = false; }
  static void add_write(void* data) {
    of(data).want_write = true;
    of(data).arm(asio::posix::descriptor_base::wait_write);
  }
  static void del_write(void* data) { of(data).want_write = false; }
  static void cleanup(void* data) {
    auto& socket = of(data);
    socket.want_read = socket.want_write = false;
    socket.context = nullptr;
    socket.descriptor.release();
  }

  void attach() {
    context->ev.data = this;
    context->ev.addRead = add_read;
    context->ev.delRead = del_read;
    context->ev.addWrite = add_write;
    context->ev.delWrite = del_write;
    context->ev.cleanup = cleanup;
  }

  asio::posix::stream_descriptor descriptor;
  redisAsyncContext* context;  // nullptr once hiredis has freed it
  bool want_read = false;
  bool want_write = false;
  bool reading = false;
  bool writing = false;
};

// A command waiting for its reply: the reply callback stores the result and cancels the timer
// the command waits on.
struct RedisConnection::Pending {
  explicit Pending(asio::any_io_executor executor) : timer(executor) {}
  asio::steady_timer timer;
  std::optional<std::expected<RedisReply, std::string>> result;
};

std::shared_ptr<RedisConnection> RedisConnection::create(asio::any_io_executor executor,
                                                         RedisEndpoint endpoint,
                                                         StateHandler on_state) {
  return std::shared_ptr<RedisConnection>(
      new RedisConnection(executor, std::move(endpoint), std::move(on_state)));
}

RedisConnection::RedisConnection(asio::any_io_executor executor, RedisEndpoint endpoint,
                                 StateHandler on_state)
    : executor_(executor),
      endpoint_(std::move(endpoint)),
      on_state_(std::move(on_state)),
      event_(executor) {}

RedisConnection::~RedisConnection() {
  state_ = State::stopped;
  if (socket_ && socket_->context) redisAsyncFree(socket_->context);
}

void RedisConnection::start() {
  if (started_) return;
  started_ = true;
  asio::co_spawn(executor_, run(), asio::detached);
}

void RedisConnection::stop() {
  if (state_ == State::stopped) return;
  state_ = State::stopped;
  drop("stopped");
  wake();
}

void RedisConnection::drop(const std::string& reason) {
  if (!socket_ || !socket_->context) return;
  // Replies still awaited come back empty, and on_disconnect runs, inside redisAsyncFree.
  redisAsyncFree(socket_->context);
  socket_.reset();
  lost_reason_ = reason;
  if (state_ != State::stopped) state_ = State::idle;
  wake();
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto& self = *static_cast<RedisConnection*>(context->data);
  if (self.state_ != State::connecting) return;
  if (status == REDIS_OK) {
    self.state_ = State::verifying;
    self.lost_reason_.clear();
  } else {
    self.state_ = State::idle;
    self.lost_reason_ = context->c.errstr[0] ? context->c.errstr : "connection failed";
  }
  self.wake();
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int status) {
  auto& self = *static_cast<RedisConnection*>(context->data);
  if (self.state_ == State::stopped) return;
  self.state_ = State::idle;
  self.lost_reason_ =
      status == REDIS_OK || !context->c.errstr[0] ? "connection closed" : context->c.errstr;
  self.wake();
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply, void* data) {
  const std::unique_ptr<std::shared_ptr<Pending>> holder(
      static_cast<std::shared_ptr<Pending>*>(data));
  auto& pending = **holder;
  if (reply)
    pending.result = to_reply(*static_cast<redisReply*>(reply));
  else
    pending.result = std::unexpected(std::string("connection closed"));
  pending.timer.cancel();
}

asio::awaitable<std::expected<std::string, std::string>> RedisConnection::resolve() {
  boost::system::error_code error;
  asio::ip::make_address(endpoint_.host, error);
  if (!error) co_return endpoint_.host;
  asio::ip::tcp::resolver resolver(executor_);
  asio::steady_timer limit(executor_, kLongestResolution);
  auto outcome = co_await (resolver.async_resolve(endpoint_.host, std::to_string(endpoint_.port),
                                                  asio::as_tuple(asio::use_awaitable)) ||
                           limit.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1)
    co_return std::unexpected("cannot resolve " + endpoint_.host + ": timed out");
  const auto& [resolve_error, results] = std::get<0>(outcome);
  if (resolve_error || results.empty())
    co_return std::unexpected("cannot resolve " + endpoint_.host + ": " +
                              (resolve_error ? resolve_error.message() : "no address"));
  co_return results.begin()->endpoint().address().to_string();
}

asio::awaitable<std::string> RedisConnection::connect(const std::string& address) {
  auto* context = redisAsyncConnect(address.c_str(), endpoint_.port);
  if (!context) co_return "cannot allocate a hiredis context";
  if (context->err) {
    std::string why = context->c.errstr;
    redisAsyncFree(context);
    co_return why;
  }
  context->data = this;
  socket_ = std::make_shared<Socket>(executor_, context);
  socket_->attach();
  redisAsyncSetDisconnectCallback(context, on_disconnect);
  state_ = State::connecting;
  // hiredis waits for the socket to be writable to see the connection made.
  redisAsyncSetConnectCallback(context, on_connect);
  const auto deadline = Clock::now() + endpoint_.timeout;
  while (state_ == State::connecting && Clock::now() < deadline) {
    event_.expires_at(deadline);
    co_await event_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (state_ == State::connecting)
    drop("no connection within " + milliseconds_text(endpoint_.timeout));
  if (state_ == State::verifying) {
    std::vector<std::string> ping{"PING"};
    auto pong = co_await send(std::move(ping), Clock::now() + endpoint_.timeout);
    if (pong && pong->type == RedisReply::Type::status && pong->text == "PONG" &&
        state_ == State::verifying) {
      state_ = State::connected;
      co_return "";
    }
    if (pong && state_ == State::verifying)
      drop("PING answered " + (pong->text.empty() ? std::string("nothing") : pong->text));
  }
  if (socket_ && !socket_->context) socket_.reset();
  co_return lost_reason_.empty() ? std::string("connection failed") : lost_reason_;
}

asio::awaitable<void> RedisConnection::run() {
  const auto self = shared_from_this();
  unsigned failures = 0;
  std::optional<bool> reported;
  auto report = [&](bool up, const std::string& reason) {
    if (reported == up) return;
    reported = up;
    if (on_state_) on_state_(up, reason);
  };
  while (state_ != State::stopped) {
    std::string reason;
    auto address = co_await resolve();
    if (!address) {
      reason = address.error();
    } else if (state_ != State::stopped) {
      reason = co_await connect(*address);
    }
    if (state_ == State::stopped) break;
    if (reason.empty()) {
      failures = 0;
      report(true, "");
      while (state_ == State::connected) {
        event_.expires_at(Clock::time_point::max());
        co_await event_.async_wait(asio::as_tuple(asio::use_awaitable));
      }
      if (state_ == State::stopped) break;
      reason = lost_reason_;
      if (socket_ && !socket_->context) socket_.reset();
    }
    report(false, reason);
    event_.expires_after(reconnect_delay(++failures));
    co_await event_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<std::expected<RedisReply, std::string>> RedisConnection::command(
    std::vector<std::string> args, Clock::time_point deadline) {
  if (state_ != State::connected)
    co_return std::unexpected(lost_reason_.empty() ? std::string("not connected")
                                                   : "not connected: " + lost_reason_);
  co_return co_await send(std::move(args), deadline);
}

asio::awaitable<std::expected<RedisReply, std::string>> RedisConnection::send(
    std::vector<std::string> args, Clock::time_point deadline) {
  const auto self = shared_from_this();
  if (!socket_ || !socket_->context) co_return std::unexpected(std::string("not connected"));
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto pending = std::make_shared<Pending>(executor_);
  auto* data = new std::shared_ptr<Pending>(pending);
  if (redisAsyncCommandArgv(socket_->context, on_reply, data, static_cast<int>(argv.size()),
                            argv.data(), lengths.data()) != REDIS_OK) {
    delete data;
    co_return std::unexpected(std::string("cannot send the command"));
  }
  pending->timer.expires_at(deadline);
  if (!pending->result) co_await pending->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (pending->result) co_return std::move(*pending->result);
  const auto why = "no reply within " + milliseconds_text(endpoint_.timeout);
  drop(why);
  co_return std::unexpected(why);
}

}  // namespace mxrelay::mta
