// mta/tls_report: TLS reporting (RFC 8460) in the running relay. Counts the outbound TLS
// sessions the delivery engine observes (tlsrpt::Observation) into the store, saves it under
// the spool every kFlushInterval when it changed, at every send and at stop (a kill -9 loses
// at most the last minute of counts). At 00:00 UTC the day's period closes; a closed
// period's report per recipient domain goes to every rua of the domain's _smtp._tls TXT
// record (none: nothing is sent): mailto: as a report mail stored in the spool from the null
// sender and queued (no DSN can loop back), https: as a POST of the gzip'd JSON with
// Content-Type application/tlsrpt+gzip, done on any 2xx. A report whose rua all failed is
// retried every kRetryInterval, kMaxSendAttempts times in all, then given up (logged).
// send_now() closes the open period at once and sends (`mxrelay tls-report send-now`).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "conf/config.hpp"
#include "mta/metrics.hpp"
#include "mta/tls_report/report_store.hpp"
#include "mta/tls_report/tlsrpt_record.hpp"
#include "queue/message_record.hpp"
#include "queue/spool.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta::tlsrpt {

inline constexpr auto kFlushInterval = std::chrono::minutes(1);
inline constexpr auto kRetryInterval = std::chrono::hours(1);

class TlsReporter {
 public:
  // enqueue: hands a stored report mail to the queue (QueueRunner::enqueue).
  using Enqueue = std::function<void(queue::Envelope, std::uint64_t)>;
  TlsReporter(boost::asio::io_context& io, std::shared_ptr<const conf::Config> config,
              queue::Spool& spool, boost::asio::thread_pool& disk, Metrics& metrics,
              Enqueue enqueue);

  // Loads the store and starts the timers (nothing when tls_report.enabled is false).
  void start();
  // Saves the store and stops the timers.
  void stop();
  void reconfigure(std::shared_ptr<const conf::Config> config);

  void record(const Observation& observation);
  // Closes the open period now and sends every pending report; one entry per rua tried:
  // {"domain", "rua", "result" (sent, failed, skipped), "detail"}.
  boost::asio::awaitable<boost::json::object> send_now();
  // The open period's counts and the reports waiting to be sent.
  boost::json::object show() const;

 private:
  bool enabled() const { return config_->tls_report.enabled; }
  std::int64_t now() const;
  boost::asio::awaitable<void> timer_loop();
  // Closes the period when its UTC day is over.
  void roll_over();
  void close_period(std::int64_t end);
  boost::asio::awaitable<void> send_pending(boost::json::array* results);
  boost::asio::awaitable<void> send_report(resolver::UnboundClient& dns, PendingReport& report,
                                           boost::json::array* results);
  boost::asio::awaitable<std::expected<void, std::string>> deliver(resolver::UnboundClient& dns,
                                                                   const Rua& rua,
                                                                   const PendingReport& report,
                                                                   const std::string& gzipped);
  boost::asio::awaitable<std::expected<void, std::string>> mail(const Rua& rua,
                                                                const PendingReport& report,
                                                                const std::string& gzipped);
  void save();

  boost::asio::io_context& io_;
  std::shared_ptr<const conf::Config> config_;
  queue::Spool& spool_;
  boost::asio::thread_pool& disk_;
  Metrics& metrics_;
  Enqueue enqueue_;
  ReportStore store_;
  bool loaded_ = false;
  bool dirty_ = false;
  bool running_ = false;
  std::set<std::string> sending_;  // report ids being sent now
  std::chrono::steady_clock::time_point next_retry_{};
  boost::asio::steady_timer timer_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mxrelay::mta::tlsrpt
