// queue: the durable spool on disk. One file per message under DIR/queue/, written to
// DIR/incoming/ first, fsynced, renamed into place and the directory fsynced, so a record
// that store() reported stored survives a crash. Per-recipient outcomes are appended
// (and fsynced) to DIR/queue/ID.rcpt. An operator's hold is the marker file ID.hold; the
// SMTP transcript of the latest failed attempt is kept in ID.log for `queue show`. Unreadable or
// torn records found on start are moved to DIR/corrupt/ and reported, never silently dropped and
// never fatal. Thread-safe: calls for different ids may run concurrently.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_status.hpp"
#include "message_record.hpp"

namespace mxrelay::queue {

struct SpooledMessage {
  Envelope envelope;
  std::vector<RecipientOutcome> outcomes;  // in the order recorded; later ones win
  std::uintmax_t message_bytes = 0;  // the message as received, Received: header included
  bool held = false;
};

struct RecoveryReport {
  std::vector<SpooledMessage> messages;
  std::vector<std::string> discarded;  // "ID: reason" for records moved to corrupt/
};

class Spool {
 public:
  // Creates the folders if needed; throws std::runtime_error when it cannot (start-up).
  explicit Spool(std::filesystem::path dir);

  const std::filesystem::path& dir() const { return dir_; }

  // Durably stores a new message. Disk full: 452 4.3.1; other I/O errors: 451 4.3.0.
  std::expected<void, core::Failure> store(const Envelope& envelope, std::string_view body);
  std::expected<void, core::Failure> append_outcome(const std::string& id,
                                                    const RecipientOutcome& outcome);
  // The whole record file (decode with decode_record).
  std::expected<std::string, core::Failure> read_record(const std::string& id) const;
  std::expected<void, core::Failure> remove(const std::string& id);

  // Durable hold marker: a held message is not delivered until released, across restarts.
  std::expected<void, core::Failure> set_held(const std::string& id, bool held);
  // The latest failed attempt's transcript; diagnostic only, so not fsynced.
  void write_transcript(const std::string& id, std::string_view text);
  std::string read_transcript(const std::string& id) const;

  // Scans the spool after a start or crash: every stored message, with its outcomes.
  RecoveryReport recover();

 private:
  std::filesystem::path record_path(const std::string& id) const;
  std::filesystem::path outcome_path(const std::string& id) const;
  std::filesystem::path side_path(const std::string& id, std::string_view suffix) const;

  std::filesystem::path dir_;
  std::filesystem::path incoming_;
  std::filesystem::path queue_;
  std::filesystem::path corrupt_;
};

}  // namespace mxrelay::queue
