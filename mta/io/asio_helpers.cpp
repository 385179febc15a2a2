// mta/io: Asio address conversions and deadline-bounded reads.
#include "mta/io/asio_helpers.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace mxrelay::mta {

namespace asio = boost::asio;

asio::ip::address to_asio(const core::IpAddress& address) {
  const auto& bytes = address.bytes();
  if (address.is_v6()) return asio::ip::address_v6(bytes);
  return asio::ip::address_v4(
      asio::ip::address_v4::bytes_type{bytes[0], bytes[1], bytes[2], bytes[3]});
}

core::IpAddress from_asio(const asio::ip::address& address) {
  if (address.is_v4()) return core::IpAddress::v4(address.to_v4().to_bytes());
  auto v6 = address.to_v6();
  if (v6.is_v4_mapped())
    return core::IpAddress::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_bytes());
  return core::IpAddress::v6(v6.to_bytes());
}

asio::awaitable<std::pair<IoStatus, std::string>> connect_for(
    asio::ip::tcp::socket& socket, const asio::ip::tcp::endpoint& endpoint,
    std::chrono::steady_clock::duration timeout) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(socket.get_executor(), timeout);
  auto outcome = co_await (socket.async_connect(endpoint, asio::as_tuple(asio::use_awaitable)) ||
                           timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (outcome.index() == 1)
    co_return std::pair{IoStatus::timeout, std::string("connection timed out")};
  auto [error] = std::get<0>(outcome);
  if (error) co_return std::pair{IoStatus::failed, error.message()};
  co_return std::pair{IoStatus::ok, std::string()};
}

}  // namespace mxrelay::mta
