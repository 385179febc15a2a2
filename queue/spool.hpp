// queue: the durable spool on disk. One file per message under DIR/queue/, written to
// DIR/incoming/ and renamed into place. Durability is a group commit: writes make no sync of
// their own; commit_*() hands them to the spool's one committer thread, which makes every
// write finished so far durable with a single syncfs(2) on the spool's file system (file data,
// the renames and the directories alike) and then completes all of them. A record is stored
// only once its commit succeeded; a failed commit removes the new records it covered (they
// were never acknowledged). Per-recipient outcomes are appended to DIR/queue/ID.rcpt and
// committed the same way. An operator's hold is the marker file ID.hold; the SMTP transcript
// of the latest failed attempt is kept in ID.log for `queue show`.
// Recovery after a start or crash is a scan in batches that reads only each record's header;
// the checksum over the body is tested when the record is read for delivery. Unreadable or
// torn records are moved to DIR/corrupt/ and reported, never silently dropped and never fatal.
// Thread-safe: calls for different ids may run concurrently.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "core/smtp_status.hpp"
#include "group_commit.hpp"
#include "message_record.hpp"
#include "spool_observer.hpp"

namespace mxrelay::queue {

struct SpooledMessage {
  Envelope envelope;
  std::vector<RecipientOutcome> outcomes;  // in the order recorded; later ones win
  std::uintmax_t message_bytes = 0;        // the message as received, Received: header included
  bool held = false;
};

struct RecoveryBatch {
  std::vector<SpooledMessage> messages;
  std::vector<std::string> discarded;  // "ID: reason" for records moved to corrupt/
  bool finished = false;               // the scan is complete; later batches are empty
};

class Spool {
 public:
  // Receives the outcome of a commit, on the committer thread: keep it short (post onward).
  using CommitDone = std::move_only_function<void(std::expected<void, core::Failure>)>;

  // Creates the folders if needed and starts the committer; throws std::runtime_error when
  // it cannot (start-up). observer (may be null) hears of commits, syncs and disk errors.
  explicit Spool(std::filesystem::path dir, SpoolObserver* observer = nullptr);
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;
  // Completes the commits still queued, then closes.
  ~Spool();

  const std::filesystem::path& dir() const { return dir_; }

  // Storing a new message, phase 1 (blocking): the record is written and renamed into queue/,
  // not yet durable. Disk full: 452 4.3.1; other I/O errors: 451 4.3.0 (nothing left behind).
  std::expected<void, core::Failure> write_record(const Envelope& envelope, std::string_view body);
  // Phase 2: done(ok) once the record is durable; on failure the record is removed first.
  void commit_record(const std::string& id, CommitDone done);
  // The same two phases for one recipient outcome appended to the outcome log. A failed
  // commit leaves the line in place: it may or may not survive a crash (at-least-once).
  std::expected<void, core::Failure> write_outcome(const std::string& id,
                                                   const RecipientOutcome& outcome);
  void commit_outcome(CommitDone done);

  // The whole record file (decode with decode_record).
  std::expected<std::string, core::Failure> read_record(const std::string& id) const;
  std::expected<void, core::Failure> remove(const std::string& id);
  // Moves a record that failed its checksum to corrupt/ (side files are removed).
  void quarantine(const std::string& id);

  // Whether a write can be made durable now: a small file written to incoming/, synced the
  // way a commit syncs, and removed (GET /healthz). Disk full: 452 4.3.1; other errors 451.
  std::expected<void, core::Failure> probe_writable() const;

  // Durable hold marker: a held message is not delivered until released, across restarts.
  std::expected<void, core::Failure> set_held(const std::string& id, bool held);
  // The latest failed attempt's transcript; diagnostic only, so not fsynced.
  void write_transcript(const std::string& id, std::string_view text);
  std::string read_transcript(const std::string& id) const;

  // Recovery: begin_recovery() (before any new message is written) removes what incoming/
  // holds (never acknowledged) and starts a scan of queue/; then recover_batch() returns the
  // messages stored before, at most `max` at a time, until `finished`. Records this process
  // writes meanwhile are not returned. Bodies are not read.
  void begin_recovery();
  RecoveryBatch recover_batch(std::size_t max);

 private:
  std::filesystem::path record_path(const std::string& id) const;
  std::filesystem::path outcome_path(const std::string& id) const;
  std::filesystem::path side_path(const std::string& id, std::string_view suffix) const;
  int sync_file_system() const;
  // A record found by the scan, or the reason it is discarded.
  std::expected<SpooledMessage, std::string> recover_record(const std::string& name);
  bool written_since_recovery_began(const std::string& id);
  core::Failure disk_failure(const char* operation, std::string_view what, int error) const;

  std::filesystem::path dir_;
  std::filesystem::path incoming_;
  std::filesystem::path queue_;
  std::filesystem::path corrupt_;
  SpoolObserver* observer_;
  int dir_fd_ = -1;  // the spool folder, for syncfs

  std::mutex recovery_mutex_;
  std::optional<std::filesystem::directory_iterator> scan_;
  std::unordered_set<std::string> written_during_scan_;

  std::unique_ptr<GroupCommitter> committer_;  // last: joined before the rest goes away
};

}  // namespace mxrelay::queue
