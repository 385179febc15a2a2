// queue: spool file operations with fsync discipline.
#include "spool.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mxrelay::queue {

namespace {
namespace fs = std::filesystem;

core::Failure io_failure(std::string_view what, int error) {
  auto reason = std::string(what) + ": " + std::strerror(error);
  if (error == ENOSPC || error == EDQUOT)
    return core::Failure::temporary(452, {4, 3, 1}, "Insufficient system storage (" + reason + ")");
  return core::Failure::temporary(451, {4, 3, 0}, "Local error in processing (" + reason + ")");
}

// Closes the descriptor on every path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the result (close can report deferred write errors).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

int write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

int fsync_directory(const fs::path& dir) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return errno;
  return ::fsync(fd.get()) == 0 ? 0 : errno;
}

std::expected<std::string, int> read_file(const fs::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return std::unexpected(errno);
  std::string out;
  out.resize(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < out.size()) {
    auto n = ::read(fd.get(), out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

void make_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("cannot create spool folder " + dir.string() + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
}
}  // namespace

Spool::Spool(fs::path dir)
    : dir_(std::move(dir)),
      incoming_(dir_ / "incoming"),
      queue_(dir_ / "queue"),
      corrupt_(dir_ / "corrupt") {
  for (const auto& d : {dir_, incoming_, queue_, corrupt_}) make_directory(d);
}

namespace {
// Side files that belong to the record of the same id.
constexpr std::string_view kSideSuffixes[] = {".rcpt", ".hold", ".log"};
}  // namespace

fs::path Spool::record_path(const std::string& id) const {
  return queue_ / id;
}
fs::path Spool::side_path(const std::string& id, std::string_view suffix) const {
  return queue_ / (id + std::string(suffix));
}
fs::path Spool::outcome_path(const std::string& id) const {
  return side_path(id, ".rcpt");
}

std::expected<void, core::Failure> Spool::store(const Envelope& envelope, std::string_view body) {
  auto record = encode_record(envelope, body);
  auto temp = incoming_ / envelope.id;
  FileDescriptor fd(
      ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return std::unexpected(io_failure("create", errno));
  int error = write_all(fd.get(), record);
  if (error == 0 && ::fdatasync(fd.get()) != 0) error = errno;
  if (error == 0 && fd.close() != 0) error = errno;
  if (error == 0 && ::rename(temp.c_str(), record_path(envelope.id).c_str()) != 0) error = errno;
  if (error == 0) error = fsync_directory(queue_);
  if (error != 0) {
    ::unlink(temp.c_str());
    ::unlink(record_path(envelope.id).c_str());
    return std::unexpected(io_failure("store", error));
  }
  return {};
}

std::expected<void, core::Failure> Spool::append_outcome(const std::string& id,
                                                         const RecipientOutcome& outcome) {
  FileDescriptor fd(::open(outcome_path(id).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                           S_IRUSR | S_IWUSR));
  if (fd.get() < 0) return std::unexpected(io_failure("open outcome log", errno));
  int error = write_all(fd.get(), encode_recipient_outcome(outcome));
  if (error == 0 && ::fdatasync(fd.get()) != 0) error = errno;
  if (error != 0) return std::unexpected(io_failure("append outcome", error));
  return {};
}

std::expected<std::string, core::Failure> Spool::read_record(const std::string& id) const {
  auto bytes = read_file(record_path(id));
  if (!bytes) return std::unexpected(io_failure("read " + id, bytes.error()));
  return std::move(*bytes);
}

std::expected<void, core::Failure> Spool::remove(const std::string& id) {
  // The record goes first: an outcome log without a record is cleaned up by recover().
  if (::unlink(record_path(id).c_str()) != 0 && errno != ENOENT)
    return std::unexpected(io_failure("remove " + id, errno));
  for (auto suffix : kSideSuffixes) ::unlink(side_path(id, suffix).c_str());
  return {};
}

std::expected<void, core::Failure> Spool::set_held(const std::string& id, bool held) {
  auto marker = side_path(id, ".hold");
  if (held) {
    FileDescriptor fd(::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, S_IRUSR | S_IWUSR));
    if (fd.get() < 0) return std::unexpected(io_failure("hold " + id, errno));
  } else if (::unlink(marker.c_str()) != 0 && errno != ENOENT) {
    return std::unexpected(io_failure("release " + id, errno));
  }
  if (int error = fsync_directory(queue_); error != 0)
    return std::unexpected(io_failure("hold " + id, error));
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

RecoveryReport Spool::recover() {
  RecoveryReport report;
  std::error_code ec;
  // Records that never got renamed into queue/ were never acknowledged.
  for (const auto& entry : fs::directory_iterator(incoming_, ec)) fs::remove(entry.path(), ec);

  std::vector<fs::path> entries;
  for (const auto& entry : fs::directory_iterator(queue_, ec)) entries.push_back(entry.path());
  for (const auto& path : entries) {
    auto name = path.filename().string();
    auto suffix = path.extension().string();
    if (!suffix.empty()) {
      // A side file whose record is gone (crash during remove) is cleaned up.
      if (!fs::exists(record_path(path.stem().string()))) fs::remove(path, ec);
      continue;
    }
    auto bytes = read_file(path);
    auto decoded =
        bytes ? decode_record(*bytes)
              : std::unexpected(std::string("unreadable: ") + std::strerror(bytes.error()));
    if (decoded && decoded->envelope.id != name)
      decoded = std::unexpected("id does not match file");
    if (!decoded) {
      fs::rename(path, corrupt_ / name, ec);
      report.discarded.push_back(name + ": " + decoded.error());
      continue;
    }
    SpooledMessage message;
    message.envelope = std::move(decoded->envelope);
    message.message_bytes = decoded->body.size();
    if (auto log = read_file(outcome_path(name)))
      message.outcomes = decode_recipient_outcomes(*log);
    message.held = fs::exists(side_path(name, ".hold"), ec);
    report.messages.push_back(std::move(message));
  }
  return report;
}

}  // namespace mxrelay::queue
