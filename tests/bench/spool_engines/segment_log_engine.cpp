// bench/spool_engines: a segment log of our own as a spool engine. Records (a message, or the
// removal of one) are framed by queue::encode_log_frame and appended to the
// current segment by one committer thread, which takes every record pending, writes them with
// writev and makes them durable with one fdatasync, then wakes the writers of messages. A
// batch of removals only is written without a sync of its own: the next message's sync (or
// the close) covers it, since losing a removal in a crash costs a duplicate, never a message.
// Segments are 64 MiB; with `zero_filled` each is written full of zeros and synced when it
// is opened, so that later appends overwrite allocated blocks and a sync has no file size or
// extent change to write as well. (A real engine also frees a segment once every message in
// it is finished; the benchmark measures the write path only.)
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "queue/log_frame.hpp"
#include "spool_engine.hpp"

namespace mxrelay::bench {
namespace {

constexpr off_t kSegmentSize = 64 << 20;
constexpr std::size_t kMaxIovecs = 1024;

class SegmentLogEngine : public SpoolEngine {
 public:
  SegmentLogEngine(std::string dir, bool zero_filled)
      : dir_(std::move(dir)), zero_filled_(zero_filled) {
    dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dir_fd_ < 0) throw std::runtime_error("open " + dir_ + ": " + std::strerror(errno));
    open_segment();
    committer_ = std::thread([this] { run(); });
  }
  ~SegmentLogEngine() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    committer_.join();
    ::close(fd_);
    ::close(dir_fd_);
  }

  void store(const queue::Envelope& envelope, std::string_view body) override {
    std::promise<void> durable;
    auto done = durable.get_future();
    enqueue({queue::encode_log_frame(key_, 'M', queue::encode_record(envelope, body)), &durable});
    done.get();
  }
  void remove(const std::string& id) override {
    enqueue({queue::encode_log_frame(key_, 'R', id), nullptr});
  }
  std::uint64_t syncs() const override { return syncs_; }

 private:
  struct Pending {
    std::string bytes;
    std::promise<void>* durable;  // null for a removal: nobody waits
  };

  void enqueue(Pending pending) {
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(std::move(pending));
    }
    wake_.notify_one();
  }

  void open_segment() {
    if (fd_ >= 0) ::close(fd_);
    const auto path = dir_ + "/segment-" + std::to_string(++segment_) + ".log";
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ < 0) throw std::runtime_error("open " + path + ": " + std::strerror(errno));
    if (zero_filled_) {
      const std::string zeros(1 << 20, '\0');
      for (off_t at = 0; at < kSegmentSize; at += static_cast<off_t>(zeros.size()))
        if (::pwrite(fd_, zeros.data(), zeros.size(), at) != static_cast<ssize_t>(zeros.size()))
          throw std::runtime_error("zero-fill " + path + ": " + std::strerror(errno));
      ::fsync(fd_);
      ++syncs_;
    }
    ::fsync(dir_fd_);
    ++syncs_;
    offset_ = 0;
  }

  void write_batch(std::vector<Pending>& batch) {
    std::size_t bytes = 0;
    for (const auto& pending : batch) bytes += pending.bytes.size();
    if (offset_ + static_cast<off_t>(bytes) > kSegmentSize && offset_ > 0) open_segment();
    std::size_t next = 0;
    while (next < batch.size()) {
      std::vector<iovec> vectors;
      std::size_t chunk = 0;
      for (; next < batch.size() && vectors.size() < kMaxIovecs; ++next) {
        vectors.push_back({batch[next].bytes.data(), batch[next].bytes.size()});
        chunk += batch[next].bytes.size();
      }
      const auto written =
          ::pwritev(fd_, vectors.data(), static_cast<int>(vectors.size()), offset_);
      if (written != static_cast<ssize_t>(chunk))
        throw std::runtime_error(std::string("pwritev: ") + std::strerror(errno));
      offset_ += written;
    }
    const bool waited_for = std::any_of(batch.begin(), batch.end(),
                                        [](const Pending& pending) { return pending.durable; });
    if (waited_for) sync();
  }

  void sync() {
    if (::fdatasync(fd_) != 0)
      throw std::runtime_error(std::string("fdatasync: ") + std::strerror(errno));
    ++syncs_;
  }

  void run() {
    std::vector<Pending> batch;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
        if (pending_.empty()) {
          sync();
          return;
        }
        batch.swap(pending_);
      }
      write_batch(batch);
      for (auto& pending : batch)
        if (pending.durable) pending.durable->set_value();
      batch.clear();
    }
  }

  std::string dir_;
  bool zero_filled_;
  queue::LogKey key_ = {'b', 'e', 'n', 'c', 'h', 'k', 'e', 'y'};
  int dir_fd_ = -1;
  int fd_ = -1;
  unsigned segment_ = 0;
  off_t offset_ = 0;
  std::atomic<std::uint64_t> syncs_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::thread committer_;  // last: started once the rest exists
};

}  // namespace

std::unique_ptr<SpoolEngine> make_segment_log_engine(const std::string& dir, bool zero_filled) {
  return std::make_unique<SegmentLogEngine>(dir, zero_filled);
}

}  // namespace mxrelay::bench
