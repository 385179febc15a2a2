// mta: the delivery engine. Holds the envelope of every queued message in memory (bodies
// stay on disk), decides when each is due, and runs attempts: group the pending recipients
// by domain, resolve each domain's next hop, deliver, record every recipient's outcome in
// the spool, then remove the message or schedule its retry. One log line per recipient
// attempt, Postfix style.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"
#include "metrics.hpp"
#include "queue/spool.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "smtp_delivery.hpp"

namespace mxrelay::mta {

class DeliveryEngine {
 public:
  DeliveryEngine(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config,
                 queue::Spool& spool, resolver::NextHopResolver& resolver, Metrics& metrics,
                 boost::asio::thread_pool& disk);

  // Crash recovery: loads every spooled message; each becomes due now.
  void recover();
  // A message the listener has just stored durably; due now.
  void enqueue(queue::Envelope envelope);
  void start();
  void stop();

 private:
  using Clock = std::chrono::system_clock;
  struct Entry {
    queue::Envelope envelope;
    std::vector<bool> done;  // per recipient: delivered or failed for good
    bool any_failed = false;  // some recipient failed for good
    std::size_t failed_attempts = 0;
    Clock::time_point next_attempt;
    bool in_flight = false;
  };

  boost::asio::awaitable<void> schedule_loop();
  boost::asio::awaitable<void> attempt(std::string id);
  boost::asio::awaitable<void> record(Entry& entry, const RecipientResult& result,
                                      const std::string& relay);
  boost::asio::awaitable<void> finish(Entry& entry);
  void add(queue::Envelope envelope, std::vector<bool> done, bool any_failed);

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  queue::Spool& spool_;
  resolver::NextHopResolver& resolver_;
  Metrics& metrics_;
  boost::asio::thread_pool& disk_;
  boost::asio::steady_timer wakeup_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t in_flight_ = 0;
  bool running_ = false;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mxrelay::mta
