// Tests for the group committer: concurrent requests share syncs, a failed sync fails every
// request it covered, and a request made while a sync runs waits for the next sync. The sync
// is a real syncfs(2) on a temp folder; a gate holds the first sync until the test opens it.
#include "queue/group_commit.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "queue/queue_id.hpp"

namespace mxrelay::queue {
namespace {

namespace fs = std::filesystem;

// A latch the test opens once; waits until then.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// Records what the committer reports.
class RecordingObserver : public SpoolObserver {
 public:
  void on_commit(std::size_t messages, std::size_t syncs) override {
    std::lock_guard lock(mutex);
    commit_sizes.push_back(messages);
    this->syncs += syncs;
  }
  void on_sync() override {
    std::lock_guard lock(mutex);
    ++other_syncs;
  }
  void on_disk_error(const char* operation) override {
    std::lock_guard lock(mutex);
    errors.emplace_back(operation);
  }
  std::mutex mutex;
  std::vector<std::size_t> commit_sizes;
  std::size_t syncs = 0;
  std::size_t other_syncs = 0;
  std::vector<std::string> errors;
};

// Completions as they arrive: (request number, error, syncs made when it completed).
struct Completed {
  int request = 0;
  int error = 0;
  int syncs_before = 0;
};

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mxrelay-commit-test-" + new_queue_id());
    fs::create_directories(dir_);
    dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_GE(dir_fd_, 0);
  }
  void TearDown() override {
    ::close(dir_fd_);
    fs::remove_all(dir_);
  }

  // A real sync of the temp folder's file system; the first one waits for the gate.
  GroupCommitter::Sync gated_sync(int fail_with = 0) {
    return [this, fail_with] {
      if (syncs_.fetch_add(1) == 0) {
        first_sync_started_.open();
        gate_.wait();
      }
      if (::syncfs(dir_fd_) != 0) return errno;
      return fail_with;
    };
  }

  GroupCommitter::Completion recorder(int request) {
    return [this, request](int error) {
      std::lock_guard lock(mutex_);
      completed_.push_back({request, error, syncs_.load()});
      done_.notify_all();
    };
  }

  void wait_for_completions(std::size_t count) {
    std::unique_lock lock(mutex_);
    done_.wait(lock, [&] { return completed_.size() >= count; });
  }

  void write_file(int n) { std::ofstream(dir_ / ("message-" + std::to_string(n))) << "data"; }

  fs::path dir_;
  int dir_fd_ = -1;
  std::atomic<int> syncs_ = 0;
  Gate gate_;
  Gate first_sync_started_;
  std::mutex mutex_;
  std::condition_variable done_;
  std::vector<Completed> completed_;
};

TEST_F(GroupCommitTest, ConcurrentWritersShareSyncs) {
  constexpr int kWriters = 40;
  RecordingObserver observer;
  {
    GroupCommitter committer(gated_sync(), &observer);
    std::vector<std::thread> writers;
    for (int n = 0; n < kWriters; ++n)
      writers.emplace_back([&, n] {
        write_file(n);
        committer.request(1, recorder(n));
      });
    for (auto& writer : writers) writer.join();
    gate_.open();
    wait_for_completions(kWriters);
  }
  ASSERT_EQ(completed_.size(), static_cast<std::size_t>(kWriters));
  for (const auto& c : completed_) EXPECT_EQ(c.error, 0);
  // Everything queued while the first sync waited went into one more sync.
  EXPECT_LE(syncs_.load(), 2);
  EXPECT_LT(observer.commit_sizes.size(), static_cast<std::size_t>(kWriters));
  std::size_t messages = 0;
  for (auto size : observer.commit_sizes) messages += size;
  EXPECT_EQ(messages, static_cast<std::size_t>(kWriters));
  EXPECT_EQ(observer.syncs, observer.commit_sizes.size());
}

TEST_F(GroupCommitTest, FailedSyncFailsEveryWaiter) {
  constexpr int kWriters = 10;
  RecordingObserver observer;
  {
    GroupCommitter committer(gated_sync(EIO), &observer);
    for (int n = 0; n < kWriters; ++n) {
      write_file(n);
      committer.request(1, recorder(n));
    }
    gate_.open();
    wait_for_completions(kWriters);
  }
  for (const auto& c : completed_) EXPECT_EQ(c.error, EIO) << "request " << c.request;
  EXPECT_TRUE(observer.commit_sizes.empty());
  EXPECT_EQ(observer.errors.size(), static_cast<std::size_t>(syncs_.load()));
  for (const auto& operation : observer.errors) EXPECT_EQ(operation, "commit");
}

TEST_F(GroupCommitTest, RequestDuringASyncWaitsForTheNextAndOrderIsKept) {
  RecordingObserver observer;
  {
    GroupCommitter committer(gated_sync(), &observer);
    write_file(0);
    committer.request(1, recorder(0));
    first_sync_started_.wait();  // request 0 is being synced now
    write_file(1);
    committer.request(1, recorder(1));
    committer.request(0, recorder(2));  // e.g. an outcome: no stored message
    gate_.open();
    wait_for_completions(3);
  }
  ASSERT_EQ(completed_.size(), 3u);
  for (int n = 0; n < 3; ++n) EXPECT_EQ(completed_[n].request, n);
  EXPECT_EQ(completed_[0].syncs_before, 1);
  // Written after the first sync began: only the second sync may complete them.
  EXPECT_EQ(completed_[1].syncs_before, 2);
  EXPECT_EQ(completed_[2].syncs_before, 2);
  EXPECT_EQ(observer.commit_sizes, (std::vector<std::size_t>{1, 1}));
}

TEST_F(GroupCommitTest, SyncCoveringNoMessageCountsAsAPlainSync) {
  RecordingObserver observer;
  {
    GroupCommitter committer(gated_sync(), &observer);
    gate_.open();
    committer.request(0, recorder(0));
    wait_for_completions(1);
  }
  EXPECT_TRUE(observer.commit_sizes.empty());
  EXPECT_EQ(observer.other_syncs, 1u);
}

}  // namespace
}  // namespace mxrelay::queue
