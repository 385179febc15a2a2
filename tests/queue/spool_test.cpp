// Tests for the on-disk spool: store, outcomes, removal and crash recovery, in a temp folder.
#include "queue/spool.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "queue/queue_id.hpp"

namespace mxrelay::queue {
namespace {

namespace fs = std::filesystem;

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
  ASSERT_TRUE(spool.store(first, "body one\r\n"));
  ASSERT_TRUE(spool.store(second, "body two\r\n"));
  ASSERT_TRUE(spool.append_outcome(first.id, {1, RecipientState::delivered, "250 ok"}));

  Spool reopened(dir_);
  auto report = reopened.recover();
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
  ASSERT_TRUE(spool.store(e, "x"));
  ASSERT_TRUE(spool.append_outcome(e.id, {0, RecipientState::delivered, "250 ok"}));
  ASSERT_TRUE(spool.remove(e.id));
  EXPECT_TRUE(spool.recover().messages.empty());
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (e.id + ".rcpt")));
}

TEST_F(SpoolTest, HoldSurvivesRestartAndSideFilesGoWithTheRecord) {
  Spool spool(dir_);
  auto held = envelope();
  auto plain = envelope();
  ASSERT_TRUE(spool.store(held, "x"));
  ASSERT_TRUE(spool.store(plain, "y"));
  ASSERT_TRUE(spool.set_held(held.id, true));
  spool.write_transcript(held.id, "C: MAIL FROM:<a@corp.example>\nS: 451 4.3.0 try later\n");

  auto report = Spool(dir_).recover();
  ASSERT_EQ(report.messages.size(), 2u);
  for (const auto& m : report.messages) EXPECT_EQ(m.held, m.envelope.id == held.id);
  EXPECT_EQ(spool.read_transcript(held.id),
            "C: MAIL FROM:<a@corp.example>\nS: 451 4.3.0 try later\n");
  EXPECT_EQ(spool.read_transcript(plain.id), "");

  ASSERT_TRUE(spool.set_held(held.id, false));
  EXPECT_FALSE(Spool(dir_).recover().messages[0].held);
  ASSERT_TRUE(spool.remove(held.id));
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (held.id + ".log")));
  // A side file left behind by a crash during remove is cleaned up on recovery.
  std::ofstream(dir_ / "queue" / (held.id + ".hold")) << "";
  EXPECT_EQ(Spool(dir_).recover().messages.size(), 1u);
  EXPECT_FALSE(fs::exists(dir_ / "queue" / (held.id + ".hold")));
}

TEST_F(SpoolTest, TornRecordIsMovedAsideAndOthersSurvive) {
  Spool spool(dir_);
  auto good = envelope();
  auto torn = envelope();
  ASSERT_TRUE(spool.store(good, "good"));
  ASSERT_TRUE(spool.store(torn, "this record will be cut short"));
  fs::resize_file(dir_ / "queue" / torn.id, 40);
  std::ofstream(dir_ / "incoming" / "unfinished") << "partial";

  auto report = Spool(dir_).recover();
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_EQ(report.messages[0].envelope.id, good.id);
  ASSERT_EQ(report.discarded.size(), 1u);
  EXPECT_NE(report.discarded[0].find(torn.id), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "corrupt" / torn.id));
  EXPECT_FALSE(fs::exists(dir_ / "incoming" / "unfinished"));
}

TEST_F(SpoolTest, WriteFailureIsATemporaryFailureNotAnAcceptance) {
  Spool spool(dir_);
  auto queued = envelope();
  ASSERT_TRUE(spool.store(queued, "already queued"));
  // A file where the incoming folder should be makes every create fail, even for root.
  fs::remove(dir_ / "incoming");
  std::ofstream(dir_ / "incoming") << "not a folder";
  auto result = spool.store(envelope(), "x");
  ASSERT_FALSE(result);
  EXPECT_FALSE(result.error().is_permanent());
  EXPECT_EQ(result.error().reply_code, 451);
  EXPECT_EQ(result.error().status.str(), "4.3.0");
  auto report = spool.recover();
  ASSERT_EQ(report.messages.size(), 1u);
  EXPECT_EQ(report.messages[0].envelope.id, queued.id);
}

}  // namespace
}  // namespace mxrelay::queue
