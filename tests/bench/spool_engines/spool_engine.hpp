// bench/spool_engines: the one operation set every candidate spool engine offers the
// benchmark: store a message durably (the moment a relay may answer 250) and record that a
// message is finished (its removal, made durable by a later sync). Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "queue/message_record.hpp"

namespace mxrelay::bench {

class SpoolEngine {
 public:
  virtual ~SpoolEngine() = default;
  // Returns once the message is durable.
  virtual void store(const queue::Envelope& envelope, std::string_view body) = 0;
  // The message is finished; its removal becomes durable with a later sync (at-least-once).
  virtual void remove(const std::string& id) = 0;
  // Syncs (fsync, fdatasync, syncfs) made so far.
  virtual std::uint64_t syncs() const = 0;
};

// Today's spool (queue::Spool): a file per message, renamed into place, one syncfs per commit
// group; removal unlinks the record.
std::unique_ptr<SpoolEngine> make_file_per_message_engine(const std::string& dir);
// RocksDB 7.8: one Put per message with WriteOptions::sync (concurrent writers share a WAL
// sync), one Delete per removal without sync.
std::unique_ptr<SpoolEngine> make_rocksdb_engine(const std::string& dir);
// queue::SegmentLog, the segment log of our own: each record appended by its committer thread,
// every pending record written at once and made durable with one fdatasync; removals appended
// without waiting. zero_filled: each segment is written full of zeros when opened, so that a
// sync need not also write a new file size or extent.
std::unique_ptr<SpoolEngine> make_segment_log_engine(const std::string& dir, bool zero_filled);

}  // namespace mxrelay::bench
