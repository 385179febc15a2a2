// mta/inbound: plain-or-TLS stream with deadlines.
#include "mta/inbound/server_connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace mxrelay::mta {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

ServerConnection::ServerConnection(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

asio::awaitable<IoStatus> ServerConnection::write(std::string_view bytes, Timeout timeout) {
  if (tls_) co_return co_await write_for(*tls_, bytes, timeout);
  co_return co_await write_for(socket_, bytes, timeout);
}

asio::awaitable<ReadResult> ServerConnection::read_some(std::span<char> buffer, Timeout timeout) {
  if (tls_) co_return co_await read_some_for(*tls_, buffer, timeout);
  co_return co_await read_some_for(socket_, buffer, timeout);
}

asio::awaitable<IoStatus> ServerConnection::start_tls(asio::ssl::context& context,
                                                      Timeout timeout) {
  tls_ = std::make_unique<asio::ssl::stream<asio::ip::tcp::socket&>>(socket_, context);
  asio::steady_timer timer(socket_.get_executor(), timeout);
  auto token = asio::as_tuple(asio::use_awaitable);
  auto outcome = co_await (tls_->async_handshake(asio::ssl::stream_base::server, token) ||
                           timer.async_wait(token));
  if (outcome.index() == 1) co_return IoStatus::timeout;
  if (std::get<0>(std::get<0>(outcome))) co_return IoStatus::failed;
  tls_info_ = describe_tls_session(tls_->native_handle());
  co_return IoStatus::ok;
}

asio::awaitable<void> ServerConnection::close(Timeout timeout) {
  if (tls_ && tls_info_) {
    asio::steady_timer timer(socket_.get_executor(), timeout);
    auto token = asio::as_tuple(asio::use_awaitable);
    co_await (tls_->async_shutdown(token) || timer.async_wait(token));
  }
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

void ServerConnection::cancel() {
  boost::system::error_code ignored;
  socket_.cancel(ignored);
}

}  // namespace mxrelay::mta
