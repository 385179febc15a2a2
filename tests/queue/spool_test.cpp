// Tests for the on-disk spool: store, outcomes, removal and crash recovery, in a temp folder.
#include "queue/spool.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <algorithm>
#include <chrono>

#include <atomic>
#include <fstream>
#include <future>

#include "queue/queue_id.hpp"

namespace mxrelay::queue {
namespace {

namespace fs = std::filesystem;

using StoreResult = std::expected<void, core::Failure>;

// Both phases of a durable store, waiting for the group commit.
StoreResult store(Spool& spool, const Envelope& envelope, std::string_view body) {
  auto written = spool.write_record(envelope, body);
  if (!written) return written;
  std::promise<StoreResult> committed;
  spool.commit_record(envelope.id, [&](StoreResult result) { committed.set_value(result); });
  return committed.get_future().get();
}

StoreResult append_outcome(Spool& spool, const std::string& id, const RecipientOutcome& outcome) {
  auto written = spool.write_outcome(id, outcome);
  if (!written) return written;
  std::promise<StoreResult> committed;
  spool.commit_outcome([&](StoreResult result) { committed.set_value(result); });
  return committed.get_future().get();
}

struct Recovered {
  std::vector<SpooledMessage> messages;
  std::vector<std::string> discarded;
};

// The whole recovery scan, in small batches so that batching itself is exercised.
Recovered recover(Spool& spool) {
  Recovered out;
  spool.begin_recovery();
  for (;;) {
    auto batch = spool.recover_batch(2);
    for (auto& m : batch.messages) out.messages.push_back(std::move(m));
    for (auto& d : batch.discarded) out.discarded.push_back(std::move(d));
    if (batch.finished) return out;
  }
}

Recovered recover(const std::filesystem::path& dir) {
  Spool spool(dir);
  return recover(spool);
}

class SpoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxrelay-spool-test-" + new_queue_id());
  }
  void TearDown() override { fs::remove_all(dir_); }

  Envelope envelope() {
    Envelope e;
    e.id = new_queue_id();
    e.arrival_unix = 1764081322;
    e.sender = "a@corp.example";
    e.recipients = {"b@example.org", "c@example.org"};
    return e;
  }

  fs::path dir_;
};

TEST_F(SpoolTest, StoredMessagesAreRecoveredWithOutcomes) {
  Spool spool(dir_);
  auto first = envelope();
  auto second = envelope();
  ASSERT_TRUE(store(spool, first, "body one\r\n"));
  ASSERT_TRUE(store(spool, second, "body two\r\n"));
  ASSERT_TRUE(append_outcome(spool, first.id, {1, RecipientState::delivered, "250 ok"}));

  Spool reopened(dir_);
  auto report = recover(reopened);
  EXPECT_TRUE(report.discarded.empty());
  ASSERT_EQ(report.messages.size(), 2u);
  for (const auto& m : report.messages) {
    if (m.envelope.id == first.id) {
      ASSERT_EQ(m.outcomes.size(), 1u);
      EXPECT_EQ(m.outcomes[0].index, 1u);
    } else {
      EXPECT_EQ(m.envelope.id, second.id);
      EXPECT_TRUE(m.outcomes.empty());
    }
  }
  auto record = reopened.read_record(second.id);
  ASSERT_TRUE(record);
  EXPECT_EQ(decode_record(*record)->body, "body two\r\n");
}

TEST_F(SpoolTest, RemovedMessagesStayRemoved) {
  Spool spool(dir_);
  auto e = envelope();
  ASSERT_TRUE(store(spool, e, "x"));
  ASSERT_TRUE(append_outcome(spool, e.id, {0, RecipientState::delivered, "250 ok"}));
  ASSERT_TRUE(spool.remove(e.id));
  EXPECT_TRUE(recover(spool).messages.empty());
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (e.id + ".rcpt")));
}

TEST_F(SpoolTest, HoldSurvivesRestartAndSideFilesGoWithTheRecord) {
  Spool spool(dir_);
  auto held = envelope();
  auto plain = envelope();
  ASSERT_TRUE(store(spool, held, "x"));
  ASSERT_TRUE(store(spool, plain, "y"));
  ASSERT_TRUE(spool.set_held(held.id, true));
  spool.write_transcript(held.id, "C: MAIL FROM:<a@corp.example>\nS: 451 4.3.0 try later\n");

  auto report = recover(dir_);
  ASSERT_EQ(report.messages.size(), 2u);
  for (const auto& m : report.messages) EXPECT_EQ(m.held, m.envelope.id == held.id);
  EXPECT_EQ(spool.read_transcript(held.id),
            "C: MAIL FROM:<a@corp.example>\nS: 451 4.3.0 try later\n");
  EXPECT_EQ(spool.read_transcript(plain.id), "");

  ASSERT_TRUE(spool.set_held(held.id, false));
  EXPECT_FALSE(recover(dir_).messages[0].held);
  ASSERT_TRUE(spool.remove(held.id));
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (held.id + ".log")));
  // A side file left behind by a crash during remove is cleaned up on recovery.
  std::ofstream(dir_ / "queue" / (held.id + ".hold")) << "";
  EXPECT_EQ(recover(dir_).messages.size(), 1u);
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (held.id + ".hold")));
}

TEST_F(SpoolTest, TornRecordIsMovedAsideAndOthersSurvive) {
  Spool spool(dir_);
  auto good = envelope();
  auto torn = envelope();
  ASSERT_TRUE(store(spool, good, "good"));
  ASSERT_TRUE(store(spool, torn, "this record will be cut short"));
  fs::resize_file(dir_ / "queue" / torn.id, 40);
  std::ofstream(dir_ / "incoming" / "unfinished") << "partial";

  auto report = recover(dir_);
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_EQ(report.messages[0].envelope.id, good.id);
  ASSERT_EQ(report.discarded.size(), 1u);
  EXPECT_NE(report.discarded[0].find(torn.id), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "corrupt" / torn.id));
  EXPECT_FALSE(fs::exists(dir_ / "incoming" / "unfinished"));
}

// What is on disk is input: a FIFO or a symbolic link where a record should be is moved
// aside without blocking, and records whose times are out of range are quarantined.
TEST_F(SpoolTest, RecoveryTrustsNothingOnDisk) {
  Spool spool(dir_);
  auto good = envelope();
  ASSERT_TRUE(store(spool, good, "good"));
  const auto fifo = new_queue_id();
  ASSERT_EQ(::mkfifo((dir_ / "queue" / fifo).c_str(), 0600), 0);
  const auto link = new_queue_id();
  fs::create_symlink(dir_ / "queue" / good.id, dir_ / "queue" / link);
  auto far = envelope();
  far.arrival_unix = 99'999'999'999;  // overflows std::chrono's nanosecond clock
  std::ofstream(dir_ / "queue" / far.id, std::ios::binary) << encode_record(far, "x\r\n");
  auto future = envelope();
  future.arrival_unix =
      std::chrono::duration_cast<std::chrono::seconds>(
          (std::chrono::system_clock::now() + std::chrono::days(30)).time_since_epoch())
          .count();
  std::ofstream(dir_ / "queue" / future.id, std::ios::binary) << encode_record(future, "x\r\n");

  auto report = recover(dir_);
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_EQ(report.messages[0].envelope.id, good.id);
  std::vector<std::string> discarded = report.discarded;
  std::ranges::sort(discarded);
  std::vector<std::string> expected = {
      fifo + ": unreadable: not a regular file", link + ": unreadable: not a regular file",
      far.id + ": arrival time out of range", future.id + ": arrival time in the future"};
  std::ranges::sort(expected);
  EXPECT_EQ(discarded, expected);
  for (const auto& id : {fifo, link, far.id, future.id})
    EXPECT_TRUE(fs::exists(fs::symlink_status(dir_ / "corrupt" / id))) << id;
}

TEST_F(SpoolTest, WriteFailureIsATemporaryFailureNotAnAcceptance) {
  Spool spool(dir_);
  auto queued = envelope();
  ASSERT_TRUE(store(spool, queued, "already queued"));
  // A file where the incoming folder should be makes every create fail, even for root.
  fs::remove(dir_ / "incoming");
  std::ofstream(dir_ / "incoming") << "not a folder";
  auto result = store(spool, envelope(), "x");
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().is_permanent());
  EXPECT_EQ(result.error().reply_code, 451);
  EXPECT_EQ(result.error().status.str(), "4.3.0");
  auto report = recover(spool);
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_EQ(report.messages[0].envelope.id, queued.id);
}

TEST_F(SpoolTest, RecoveryReadsLongHeadersAndSkipsRecordsWrittenMeanwhile) {
  Spool spool(dir_);
  auto crowded = envelope();
  for (int i = 0; i < 300; ++i)
    crowded.recipients.push_back("recipient-" + std::to_string(i) + "@example.org");
  ASSERT_TRUE(store(spool, crowded, "many recipients"));

  Spool restarted(dir_);
  restarted.begin_recovery();
  auto fresh = envelope();
  ASSERT_TRUE(store(restarted, fresh, "accepted while the backlog loads"));
  std::vector<SpooledMessage> found;
  for (;;) {
    auto batch = restarted.recover_batch(1);
    for (auto& m : batch.messages) found.push_back(std::move(m));
    if (batch.finished) break;
  }
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].envelope.id, crowded.id);
  EXPECT_EQ(found[0].envelope.recipients.size(), 302u);
  EXPECT_EQ(found[0].message_bytes, std::string_view("many recipients").size());
}

TEST_F(SpoolTest, DamagedBodyIsFoundWhenReadAndQuarantined) {
  Spool spool(dir_);
  auto damaged = envelope();
  ASSERT_TRUE(store(spool, damaged, "body that will be damaged"));
  ASSERT_TRUE(append_outcome(spool, damaged.id, {0, RecipientState::delivered, "250 ok"}));
  {
    std::fstream file(dir_ / "queue" / damaged.id, std::ios::in | std::ios::out);
    file.seekp(-20, std::ios::end);
    file << 'X';
  }
  // Recovery reads headers only: the record is found, its checksum is tested on reading.
  ASSERT_EQ(recover(dir_).messages.size(), 1u);
  auto record = spool.read_record(damaged.id);
  ASSERT_TRUE(record);
  EXPECT_EQ(decode_record(*record).error(), "checksum mismatch");
  spool.quarantine(damaged.id);
  EXPECT_TRUE(fs::exists(dir_ / "corrupt" / damaged.id));
  EXPECT_FALSE(fs::exists(dir_ / "queue" / damaged.id));
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (damaged.id + ".rcpt")));
}

class CountingObserver : public SpoolObserver {
 public:
  void on_commit(std::size_t messages, std::size_t syncs) override {
    commits += 1;
    committed_messages += messages;
    this->syncs += syncs;
  }
  std::atomic<std::size_t> commits = 0;
  std::atomic<std::size_t> committed_messages = 0;
  std::atomic<std::size_t> syncs = 0;
};

TEST_F(SpoolTest, ConcurrentStoresAreAllDurableAndRecovered) {
  constexpr std::size_t kWriters = 24;
  CountingObserver observer;
  std::vector<std::string> ids;
  {
    Spool spool(dir_, &observer);
    std::vector<std::future<StoreResult>> stored;
    for (std::size_t i = 0; i < kWriters; ++i) {
      auto e = envelope();
      ids.push_back(e.id);
      stored.push_back(std::async(std::launch::async,
                                  [&spool, e] { return store(spool, e, "concurrent\r\n"); }));
    }
    for (auto& s : stored) EXPECT_TRUE(s.get());
  }
  EXPECT_EQ(observer.committed_messages, kWriters);
  EXPECT_LE(observer.commits, kWriters);
  EXPECT_EQ(observer.syncs, observer.commits.load());
  auto report = recover(dir_);
  EXPECT_EQ(report.messages.size(), kWriters);
  EXPECT_TRUE(report.discarded.empty());
}

}  // namespace
}  // namespace mxrelay::queue
