// mta/io: small Asio helpers shared by the listener, the delivery client and the engine: core
// addresses to Asio addresses and back, a read with a deadline, and running blocking disk
// work on a thread pool while the calling coroutine waits.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/ip_address.hpp"

namespace mxrelay::mta {

boost::asio::ip::address to_asio(const core::IpAddress& address);
core::IpAddress from_asio(const boost::asio::ip::address& address);

enum class IoStatus { ok, failed, timeout };
struct ReadResult {
  IoStatus status = IoStatus::failed;
  std::size_t bytes = 0;
};

// Connects within the timeout; the error text on failure.
boost::asio::awaitable<std::pair<IoStatus, std::string>> connect_for(
    boost::asio::ip::tcp::socket& socket, const boost::asio::ip::tcp::endpoint& endpoint,
    std::chrono::steady_clock::duration timeout);

// Writes all bytes within the timeout; Stream is a TCP socket or a TLS stream over one.
template <typename Stream>
boost::asio::awaitable<IoStatus> write_for(Stream& stream, std::string_view bytes,
                                           std::chrono::steady_clock::duration timeout) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
  boost::asio::steady_timer timer(stream.get_executor(), timeout);
  auto outcome = co_await (
      boost::asio::async_write(stream, boost::asio::buffer(bytes.data(), bytes.size()), token) ||
      timer.async_wait(token));
  if (outcome.index() == 1) co_return IoStatus::timeout;
  co_return std::get<0>(std::get<0>(outcome)) ? IoStatus::failed : IoStatus::ok;
}

// Reads what is available (at least one byte) within the timeout; failed also means EOF.
template <typename Stream>
boost::asio::awaitable<ReadResult> read_some_for(Stream& stream, std::span<char> buffer,
                                                 std::chrono::steady_clock::duration timeout) {
  using namespace boost::asio::experimental::awaitable_operators;
  auto token = boost::asio::as_tuple(boost::asio::use_awaitable);
  boost::asio::steady_timer timer(stream.get_executor(), timeout);
  auto outcome =
      co_await (stream.async_read_some(boost::asio::buffer(buffer.data(), buffer.size()), token) ||
                timer.async_wait(token));
  if (outcome.index() == 1) co_return ReadResult{IoStatus::timeout, 0};
  auto [error, n] = std::get<0>(outcome);
  if (error || n == 0) co_return ReadResult{IoStatus::failed, 0};
  co_return ReadResult{IoStatus::ok, n};
}

// Runs work() (blocking: file I/O, fsync) on the pool and resumes the caller with its result
// on the caller's own executor.
template <typename Work>
auto run_blocking(boost::asio::thread_pool& pool, Work work)
    -> boost::asio::awaitable<decltype(work())> {
  using Result = decltype(work());
  co_return co_await boost::asio::co_spawn(
      pool, [&]() -> boost::asio::awaitable<Result> { co_return work(); },
      boost::asio::use_awaitable);
}

}  // namespace mxrelay::mta
