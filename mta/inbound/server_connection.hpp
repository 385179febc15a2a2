// mta/inbound: one inbound connection's byte stream, which starts as plain TCP and may switch to
// TLS in the middle of the session (STARTTLS). Reads and writes are bounded by a timeout;
// I/O failures and timeouts are values (IoStatus), never exceptions.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "mta/inbound/server_tls.hpp"
#include "mta/io/asio_helpers.hpp"

namespace mxrelay::mta {

class ServerConnection {
 public:
  using Timeout = std::chrono::steady_clock::duration;

  explicit ServerConnection(boost::asio::ip::tcp::socket socket);

  boost::asio::awaitable<IoStatus> write(std::string_view bytes, Timeout timeout);
  boost::asio::awaitable<ReadResult> read_some(std::span<char> buffer, Timeout timeout);
  // Runs the TLS server handshake on the connection; afterwards all I/O is encrypted.
  // Any plaintext the client sent after its STARTTLS line goes into the handshake (and
  // fails it); none of it reaches the session.
  boost::asio::awaitable<IoStatus> start_tls(boost::asio::ssl::context& context, Timeout timeout);
  // The negotiated session, once start_tls() succeeded.
  const std::optional<TlsSessionInfo>& tls() const { return tls_info_; }
  // Sends close_notify when TLS is up (bounded by timeout), then shuts the socket down.
  boost::asio::awaitable<void> close(Timeout timeout);
  // Makes the read or write in progress end now with IoStatus::failed (for a shutdown).
  void cancel();

 private:
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket&>> tls_;
  std::optional<TlsSessionInfo> tls_info_;
};

}  // namespace mxrelay::mta
