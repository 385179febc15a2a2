// mta: the inbound SMTP listener. Accepts connections on server.listen and drives one
// SmtpServerSession per connection in its own coroutine: reads with the server timeout,
// writes the replies, and makes each accepted message durable in the spool (on the disk
// thread pool, off the event loop) before the session may answer 250.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <memory>
#include <vector>

#include "conf/config.hpp"
#include "metrics.hpp"
#include "queue/spool.hpp"

namespace mxrelay::mta {

class SmtpListener {
 public:
  // Called on the event loop for every message the spool has stored.
  using MessageQueued = std::function<void(queue::Envelope)>;

  SmtpListener(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config,
               queue::Spool& spool, boost::asio::thread_pool& disk, Metrics& metrics,
               MessageQueued on_queued);

  // Binds every server.listen endpoint; throws std::runtime_error when one cannot be bound.
  void start();
  // Stops accepting; sessions in flight run to their end.
  void stop();

 private:
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  queue::Spool& spool_;
  boost::asio::thread_pool& disk_;
  Metrics& metrics_;
  MessageQueued on_queued_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
};

}  // namespace mxrelay::mta
