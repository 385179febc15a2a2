// mta/queue_runner: the DSN notifier. Turns the reports a queued message owes (failures,
// successes asked for with NOTIFY, delay warnings: queue::DsnRecipient values built from
// typed outcomes) into an RFC 3464 message from the null sender, to the original sender (or
// to queue.postmaster for a failed bounce; a bounce is never bounced otherwise), stores it
// durably in the spool and hands it back as a new queue entry.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>
#include <expected>
#include <optional>
#include <random>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "mta/metrics.hpp"
#include "queue/queue_entry.hpp"
#include "queue/spool.hpp"

namespace mxrelay::mta {

class DsnNotifier {
 public:
  DsnNotifier(queue::Spool& spool, boost::asio::thread_pool& disk, Metrics& metrics);

  // original: the stored message. The value is the report to enqueue, or nullopt when none
  // is sent (a notification about a notification with no queue.postmaster: logged, done).
  // An error: the report could not be stored; it is still owed.
  boost::asio::awaitable<std::expected<std::optional<queue::QueueEntry>, core::Failure>> notify(
      const conf::Config& config, const queue::QueueEntry& entry, std::string_view original,
      const std::vector<queue::DsnRecipient>& recipients);

 private:
  queue::Spool& spool_;
  boost::asio::thread_pool& disk_;
  Metrics& metrics_;
  std::mt19937_64 random_{std::random_device{}()};
};

}  // namespace mxrelay::mta
