// queue: the append-only log under a spool engine without a file per message (issue 14):
// numbered segment files DIR/NUMBER.seg, each a 64-byte header (a magic line and the
// segment's 8-byte random key) followed by log frames (log_frame.hpp). Appends are group-
// committed: one committer thread writes every frame queued so far with one pwritev and
// makes them durable with one fdatasync, then completes them in order. A lazy frame (a
// removal: losing one in a crash costs a duplicate delivery, never a message) waits for no
// sync; a batch of lazy frames only is written without one, and the next sync covers it. A
// segment is full at `segment_size`; the next one is a new file whose directory entry is
// synced. With `zero_fill` each new segment is first written full of zeros and synced, so
// that appends overwrite allocated blocks and fdatasync has no file size or extent to write.
// A failed write or sync fails every frame of its batch (disk full: 452 4.3.1, else
// 451 4.3.0) and the log moves on to a new segment, since after a failed sync the state of
// the old one on disk is unknown. Every start opens a new segment: old ones are only read.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/smtp_status.hpp"
#include "queue/log_frame.hpp"

namespace mxrelay::queue {

class SegmentLog {
 public:
  struct Options {
    std::uint64_t segment_size = 64 << 20;
    bool zero_fill = true;
  };
  // Where a frame is: its segment, the offset of its header, its payload's size.
  struct Location {
    std::uint64_t segment = 0;
    std::uint64_t offset = 0;
    std::uint32_t size = 0;
  };
  using Done = std::move_only_function<void(std::expected<Location, core::Failure>)>;
  // A segment read back whole, its frames pointing into `bytes`.
  struct Scanned {
    std::unique_ptr<const std::string> bytes;
    LogScan scan;  // offsets relative to the start of the file
  };

  // Creates the folder if needed and opens a new segment; throws std::runtime_error when it
  // cannot (start-up).
  SegmentLog(std::filesystem::path dir, Options options);
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;
  // Completes what is queued, then closes.
  ~SegmentLog();

  // done(location) once the frame is durable, on the committer thread (keep it short).
  void append(std::uint8_t kind, std::string payload, Done done);
  void append_lazy(std::uint8_t kind, std::string payload);

  // The segments on disk, oldest first (the current one last).
  std::vector<std::uint64_t> segments() const;
  std::uint64_t current_segment() const;
  std::expected<Scanned, core::Failure> scan(std::uint64_t segment) const;
  // One frame's payload, its checksums tested.
  std::expected<std::string, core::Failure> read(const Location& location) const;
  // A segment no live record needs any more (never the current one).
  std::expected<void, core::Failure> remove_segment(std::uint64_t segment);
  std::uint64_t syncs() const;

 private:
  struct Pending {
    std::uint8_t kind = 0;
    std::string payload;
    std::uint32_t payload_crc = 0;  // summed by the writer, off the committer thread
    Done done;                      // empty for a lazy frame
    std::string header = {};        // made by the committer, with the segment's key
  };
  struct Segment {
    std::uint64_t number = 0;
    int fd = -1;
    LogKey key{};
    std::uint64_t end = 0;  // where the next frame goes
  };

  void enqueue(Pending pending);
  void run();
  void write_batch(std::vector<Pending>& batch);
  // Closes the current segment (if any) and opens the next; 0 or an errno value.
  int open_next_segment();
  std::filesystem::path path_of(std::uint64_t segment) const;
  std::expected<LogKey, core::Failure> key_of(std::uint64_t segment) const;

  std::filesystem::path dir_;
  Options options_;
  int dir_fd_ = -1;
  Segment current_;          // the committer's (and the constructor's)
  std::uint64_t syncs_ = 0;  // guarded by mutex_
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Pending> pending_;
  bool stopping_ = false;
  std::uint64_t current_number_ = 0;              // guarded by mutex_
  mutable std::map<std::uint64_t, LogKey> keys_;  // guarded by mutex_
  std::thread committer_;                         // last: starts once everything it uses exists
};

}  // namespace mxrelay::queue
