// queue: spool file operations, the group commit's sync, and the recovery scan.
#include "spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <utility>

#include "queue/retry_schedule.hpp"
#include "queue/spool_file_io.hpp"

namespace mxrelay::queue {

namespace {
namespace fs = std::filesystem;

// Enough for the header of a record with a handful of recipients; longer headers cost a
// second read.
constexpr std::size_t kHeaderReadSize = 4096;

// Side files that belong to the record of the same id.
constexpr std::string_view kSideSuffixes[] = {".rcpt", ".hold", ".log"};

int fsync_directory(const fs::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  return ::fsync(fd.get()) == 0 ? 0 : errno;
}

void make_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("cannot create spool folder " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}

bool path_exists(const fs::path& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}
}  // namespace

Spool::Spool(fs::path dir, SpoolObserver* observer)
    : dir_(std::move(dir)),
      incoming_(dir_ / "incoming"),
      queue_(dir_ / "queue"),
      corrupt_(dir_ / "corrupt"),
      observer_(observer) {
  for (const auto& d : {dir_, incoming_, queue_, corrupt_}) make_directory(d);
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0)
    throw std::runtime_error("cannot open spool folder " + dir_.string() + ": " +
                             std::strerror(errno));
  committer_ = std::make_unique<GroupCommitter>([this] { return sync_file_system(); }, observer_);
}

Spool::~Spool() {
  committer_.reset();
  ::close(dir_fd_);
}

fs::path Spool::record_path(const std::string& id) const {
  return queue_ / id;
}
fs::path Spool::side_path(const std::string& id, std::string_view suffix) const {
  return queue_ / (id + std::string(suffix));
}
fs::path Spool::outcome_path(const std::string& id) const {
  return side_path(id, ".rcpt");
}

int Spool::sync_file_system() const {
  return ::syncfs(dir_fd_) == 0 ? 0 : errno;
}

core::Failure Spool::disk_failure(const char* operation, std::string_view what, int error) const {
  if (observer_ != nullptr) observer_->on_disk_error(operation);
  return io_failure(what, error);
}

std::expected<void, core::Failure> Spool::write_record(const Envelope& envelope,
                                                       std::string_view body) {
  auto record = encode_record(envelope, body);
  auto temp = incoming_ / envelope.id;
  FileDescriptor fd(
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return std::unexpected(disk_failure("store", "create", errno));
  int error = write_all(fd.get(), record);
  if (error == 0 && fd.close() != 0) error = errno;
  if (error == 0) {
    std::lock_guard lock(recovery_mutex_);
    if (scan_) written_during_scan_.insert(envelope.id);
  }
  if (error == 0 && ::rename(temp.c_str(), record_path(envelope.id).c_str()) != 0) error = errno;
  if (error != 0) {
    ::unlink(temp.c_str());
    return std::unexpected(disk_failure("store", "store", error));
  }
  return {};
}

void Spool::commit_record(const std::string& id, CommitDone done) {
  committer_->request(1, [this, id, done = std::move(done)](int error) mutable {
    if (error == 0) {
      done({});
      return;
    }
    ::unlink(record_path(id).c_str());
    done(std::unexpected(io_failure("commit", error)));
  });
}

std::expected<void, core::Failure> Spool::write_outcome(const std::string& id,
                                                        const RecipientOutcome& outcome) {
  FileDescriptor fd(::open(outcome_path(id).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                           S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return std::unexpected(disk_failure("outcome", "open outcome log", errno));
  if (int error = write_all(fd.get(), encode_recipient_outcome(outcome)); error != 0)
    return std::unexpected(disk_failure("outcome", "append outcome", error));
  return {};
}

void Spool::commit_outcome(CommitDone done) {
  committer_->request(0, [done = std::move(done)](int error) mutable {
    if (error == 0)
      done({});
    else
      done(std::unexpected(io_failure("commit outcome", error)));
  });
}

std::expected<std::string, core::Failure> Spool::read_record(const std::string& id) const {
  auto bytes = read_file(record_path(id));
  if (!bytes) return std::unexpected(io_failure("read " + id, bytes.error()));
  return std::move(*bytes);
}

std::expected<void, core::Failure> Spool::remove(const std::string& id) {
  // The record goes first: an outcome log without a record is cleaned up by recovery.
  if (::unlink(record_path(id).c_str()) != 0 && errno != ENOENT)
    return std::unexpected(disk_failure("remove", "remove " + id, errno));
  for (auto suffix : kSideSuffixes) ::unlink(side_path(id, suffix).c_str());
  return {};
}

void Spool::quarantine(const std::string& id) {
  if (::rename(record_path(id).c_str(), (corrupt_ / id).c_str()) != 0 && errno != ENOENT &&
      observer_ != nullptr)
    observer_->on_disk_error("quarantine");
  for (auto suffix : kSideSuffixes) ::unlink(side_path(id, suffix).c_str());
}

std::expected<void, core::Failure> Spool::probe_writable() const {
  auto probe = incoming_ / ".probe";
  FileDescriptor fd(
      ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return std::unexpected(io_failure("create", errno));
  int error = write_all(fd.get(), "mxrelay health probe\n");
  if (error == 0 && fd.close() != 0) error = errno;
  if (error == 0) error = sync_file_system();
  // Recovery may have removed it already: it empties incoming/.
  if (::unlink(probe.c_str()) != 0 && errno != ENOENT && error == 0) error = errno;
  if (error != 0) return std::unexpected(io_failure("probe", error));
  return {};
}

std::expected<void, core::Failure> Spool::set_held(const std::string& id, bool held) {
  auto marker = side_path(id, ".hold");
  if (held) {
    FileDescriptor fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR));
    if (fd.get() < 0) return std::unexpected(disk_failure("hold", "hold " + id, errno));
  } else if (::unlink(marker.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(disk_failure("hold", "release " + id, errno));
  }
  if (int error = fsync_directory(queue_); error != 0)
    return std::unexpected(disk_failure("hold", "hold " + id, error));
  if (observer_ != nullptr) observer_->on_sync();
  return {};
}

void Spool::write_transcript(const std::string& id, std::string_view text) {
  auto temp = incoming_ / (id + ".log");
  FileDescriptor fd(
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0 || write_all(fd.get(), text) != 0) return;
  ::rename(temp.c_str(), side_path(id, ".log").c_str());
}

std::string Spool::read_transcript(const std::string& id) const {
  auto text = read_file(side_path(id, ".log"));
  return text ? std::move(*text) : std::string();
}

void Spool::begin_recovery() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(incoming_, ec)) fs::remove(entry.path(), ec);
  std::lock_guard lock(recovery_mutex_);
  written_during_scan_.clear();
  scan_.emplace(queue_, ec);
  if (ec) throw std::runtime_error("cannot scan " + queue_.string() + ": " + ec.message());
}

bool Spool::written_since_recovery_began(const std::string& id) {
  std::lock_guard lock(recovery_mutex_);
  return written_during_scan_.contains(id);
}

RecoveryBatch Spool::recover_batch(std::size_t max) {
  RecoveryBatch batch;
  std::vector<std::string> names;
  {
    std::lock_guard lock(recovery_mutex_);
    std::error_code ec;
    while (scan_ && *scan_ != fs::directory_iterator() && names.size() < max) {
      names.push_back((*scan_)->path().filename().string());
      scan_->increment(ec);
      if (ec) *scan_ = fs::directory_iterator();
    }
  }
  for (const auto& name : names) {
    auto dot = name.find('.');
    if (dot != std::string::npos) {
      // A side file whose record is gone (crash during remove) is cleaned up.
      if (!path_exists(record_path(name.substr(0, dot)))) ::unlink((queue_ / name).c_str());
      continue;
    }
    if (written_since_recovery_began(name)) continue;
    auto message = recover_record(name);
    if (message) {
      batch.messages.push_back(std::move(*message));
      continue;
    }
    if (::rename(record_path(name).c_str(), (corrupt_ / name).c_str()) != 0 && observer_ != nullptr)
      observer_->on_disk_error("quarantine");
    batch.discarded.push_back(name + ": " + message.error());
  }
  if (names.size() < max) {
    std::lock_guard lock(recovery_mutex_);
    scan_.reset();
    written_during_scan_.clear();
    batch.finished = true;
  }
  return batch;
}

std::expected<SpooledMessage, std::string> Spool::recover_record(const std::string& name) {
  std::size_t size = 0;
  const auto opened = open_regular(record_path(name), size);
  if (!opened) return std::unexpected("unreadable: " + describe_error(opened.error()));
  FileDescriptor fd(*opened);
  auto bytes = read_at(fd.get(), 0, std::min(size, kHeaderReadSize));
  if (bytes && bytes->find("\n\n") == std::string::npos && size > bytes->size())
    bytes = read_at(fd.get(), 0, size);
  if (!bytes) return std::unexpected(std::string("unreadable: ") + std::strerror(bytes.error()));
  auto header = decode_record_header(*bytes);
  if (!header) return std::unexpected(header.error());
  if (header->record_size != size) return std::unexpected("truncated");
  if (header->envelope.id != name) return std::unexpected("id does not match file");
  // A message cannot have arrived in the future (a clock a day off is tolerated).
  if (header->envelope.arrival_unix > to_unix(Clock::now() + std::chrono::hours(24)))
    return std::unexpected("arrival time in the future");

  SpooledMessage message;
  message.envelope = std::move(header->envelope);
  message.message_bytes = header->body_size;
  if (auto log = read_file(outcome_path(name))) message.outcomes = decode_recipient_outcomes(*log);
  message.held = path_exists(side_path(name, ".hold"));
  return message;
}

}  // namespace mxrelay::queue
