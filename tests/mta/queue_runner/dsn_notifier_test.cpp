// tests/mta/queue_runner: the DSN notifier against a real spool in a temporary folder: a
// bounce goes from <> to the sender, is durable in the spool and comes back as a new queue
// entry; a failed bounce goes to queue.postmaster, or nowhere when none is set.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <filesystem>
#include <optional>

#include "conf/default_config.hpp"
#include "mta/queue_runner/dsn_notifier.hpp"
#include "queue/queue_id.hpp"

namespace mxrelay::mta {
namespace {

namespace fs = std::filesystem;

class DsnNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxrelay-dsn-notifier-test-" + queue::new_queue_id());
    spool_.emplace(dir_);
    config_.server.hostname = "relay.example";
  }
  void TearDown() override {
    disk_.join();
    spool_.reset();
    fs::remove_all(dir_);
  }

  queue::QueueEntry failed_message(std::string sender) {
    queue::Envelope envelope;
    envelope.id = queue::new_queue_id();
    envelope.sender = std::move(sender);
    envelope.recipients = {"bob@example.org"};
    auto entry = queue::new_entry(envelope, 100, queue::Clock::now());
    queue::DeliveryOutcome outcome;
    outcome.index = 0;
    outcome.status = queue::DeliveryStatus::bounced;
    outcome.enhanced_status = {5, 1, 1};
    outcome.remote = {"mx.example.org", "192.0.2.1", 25};
    outcome.remote_reply = "550 5.1.1 No such user";
    outcome.reason = "host mx.example.org[192.0.2.1]:25 said: 550 5.1.1 No such user";
    queue::record_outcome(entry, outcome, queue::Clock::now());
    return entry;
  }

  std::expected<std::optional<queue::QueueEntry>, core::Failure> notify(
      const queue::QueueEntry& entry) {
    DsnNotifier notifier(*spool_, disk_, metrics_);
    std::optional<std::expected<std::optional<queue::QueueEntry>, core::Failure>> result;
    boost::asio::co_spawn(
        io_,
        [&]() -> boost::asio::awaitable<void> {
          result = co_await notifier.notify(config_, entry, "Subject: hi\r\n\r\nbody\r\n",
                                            entry.to_notify);
        },
        boost::asio::detached);
    io_.run();
    io_.restart();
    return *result;
  }

  fs::path dir_;
  std::optional<queue::Spool> spool_;
  conf::Config config_ = conf::default_config();
  boost::asio::io_context io_;
  boost::asio::thread_pool disk_{1};
  Metrics metrics_;
};

TEST_F(DsnNotifierTest, ABounceGoesFromTheNullSenderToTheSenderAndIsDurable) {
  const auto entry = failed_message("alice@example.com");
  ASSERT_EQ(entry.to_notify.size(), 1u);
  const auto report = notify(entry);
  ASSERT_TRUE(report) << report.error().str();
  ASSERT_TRUE(report->has_value());
  const auto& dsn = **report;
  EXPECT_EQ(dsn.envelope.sender, "");
  EXPECT_EQ(dsn.envelope.recipients, std::vector<std::string>{"alice@example.com"});
  EXPECT_EQ(dsn.recipients, std::vector<queue::RecipientState>{queue::RecipientState::pending});
  const auto stored = spool_->read_record(dsn.envelope.id);
  ASSERT_TRUE(stored);
  const auto decoded = queue::decode_record(*stored);
  ASSERT_TRUE(decoded);
  EXPECT_NE(decoded->body.find("Diagnostic-Code: smtp; 550 5.1.1 No such user"), std::string::npos);
  EXPECT_NE(decoded->body.find("Remote-MTA: dns; mx.example.org"), std::string::npos);
  EXPECT_EQ(dsn.size, decoded->body.size());
}

TEST_F(DsnNotifierTest, AFailedBounceGoesToThePostmasterOrNowhere) {
  const auto bounce = failed_message("");
  const auto dropped = notify(bounce);
  ASSERT_TRUE(dropped);
  EXPECT_FALSE(dropped->has_value());  // never bounce a bounce

  config_.queue.postmaster = "postmaster@relay.example";
  const auto sent = notify(bounce);
  ASSERT_TRUE(sent && sent->has_value());
  EXPECT_EQ((*sent)->envelope.recipients, std::vector<std::string>{"postmaster@relay.example"});
}

}  // namespace
}  // namespace mxrelay::mta
