// queue: the spool's append-only segment log (see segment_log.hpp).
#include "queue/segment_log.hpp"

#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <random>
#include <stdexcept>

#include "queue/checksum.hpp"
#include "queue/spool_file_io.hpp"

namespace mxrelay::queue {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMagicLine = "mxrelay spool log 1\n";
constexpr std::size_t kSegmentHeader = 64;
constexpr std::size_t kMaxIovecs = 1024;
constexpr std::string_view kSuffix = ".seg";

std::string segment_header(const LogKey& key) {
  std::string header(kMagicLine);
  header.append(reinterpret_cast<const char*>(key.data()), key.size());
  header.resize(kSegmentHeader, '\0');
  return header;
}

// The key in a segment's first bytes.
std::expected<LogKey, core::Failure> key_in(std::string_view bytes, std::uint64_t segment) {
  if (bytes.size() < kSegmentHeader || !bytes.starts_with(kMagicLine))
    return std::unexpected(core::Failure::temporary(
        451, {4, 3, 0}, "segment " + std::to_string(segment) + " is not a spool log segment"));
  LogKey key{};
  std::memcpy(key.data(), bytes.data() + kMagicLine.size(), key.size());
  return key;
}

// Writes `frames` one after the other from `at`; 0 or an errno value.
int pwritev_all(int fd, const std::vector<std::string_view>& frames, off_t at) {
  std::size_t next = 0;
  std::size_t skip = 0;  // bytes of frames[next] already written
  while (next < frames.size()) {
    std::vector<iovec> vectors;
    for (auto i = next; i < frames.size() && vectors.size() < kMaxIovecs; ++i) {
      const auto offset = i == next ? skip : 0;
      vectors.push_back({const_cast<char*>(frames[i].data()) + offset, frames[i].size() - offset});
    }
    const auto n = ::pwritev(fd, vectors.data(), static_cast<int>(vectors.size()), at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    at += n;
    auto left = static_cast<std::size_t>(n);
    while (next < frames.size() && left >= frames[next].size() - skip) {
      left -= frames[next].size() - skip;
      skip = 0;
      ++next;
    }
    skip += left;
  }
  return 0;
}

std::optional<std::uint64_t> segment_number(const fs::path& path) {
  const auto name = path.filename().string();
  if (!name.ends_with(kSuffix)) return std::nullopt;
  std::uint64_t number = 0;
  const auto digits = std::string_view(name).substr(0, name.size() - kSuffix.size());
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), number);
  if (error != std::errc() || end != digits.data() + digits.size() || digits.empty())
    return std::nullopt;
  return number;
}

}  // namespace

SegmentLog::SegmentLog(fs::path dir, Options options) : dir_(std::move(dir)), options_(options) {
  std::error_code error;
  fs::create_directories(dir_, error);
  if (error) throw std::runtime_error("cannot create " + dir_.string() + ": " + error.message());
  dir_fd_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0)
    throw std::runtime_error("cannot open " + dir_.string() + ": " + std::strerror(errno));
  const auto existing = segments();
  current_.number = existing.empty() ? 0 : existing.back();
  if (const int failed = open_next_segment(); failed != 0) {
    ::close(dir_fd_);
    throw std::runtime_error("cannot start a segment in " + dir_.string() + ": " +
                             std::strerror(failed));
  }
  committer_ = std::thread([this] { run(); });
}

SegmentLog::~SegmentLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  committer_.join();
  if (current_.fd >= 0) ::close(current_.fd);
  ::close(dir_fd_);
}

fs::path SegmentLog::path_of(std::uint64_t segment) const {
  return dir_ / (std::to_string(segment) + std::string(kSuffix));
}

int SegmentLog::open_next_segment() {
  if (current_.fd >= 0) ::close(current_.fd);
  current_.fd = -1;
  Segment next;
  next.number = current_.number + 1;
  std::random_device random;
  for (auto& byte : next.key) byte = static_cast<unsigned char>(random());
  const auto path = path_of(next.number);
  next.fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (next.fd < 0) return errno;
  int error = pwrite_all(next.fd, segment_header(next.key), 0);
  if (error == 0 && options_.zero_fill) {
    const std::string zeros(1 << 20, '\0');
    for (std::uint64_t at = kSegmentHeader; error == 0 && at < options_.segment_size;
         at += zeros.size())
      error = pwrite_all(next.fd,
                         std::string_view(zeros).substr(
                             0, std::min<std::uint64_t>(zeros.size(), options_.segment_size - at)),
                         static_cast<off_t>(at));
  }
  if (error == 0 && ::fsync(next.fd) != 0) error = errno;
  if (error == 0 && ::fsync(dir_fd_) != 0) error = errno;
  if (error != 0) {
    ::close(next.fd);
    ::unlink(path.c_str());
    return error;
  }
  next.end = kSegmentHeader;
  current_ = next;
  std::lock_guard lock(mutex_);
  current_number_ = next.number;
  keys_[next.number] = next.key;
  syncs_ += 2;
  return 0;
}

void SegmentLog::append(std::uint8_t kind, std::string payload, Done done) {
  const auto sum = crc32(payload);
  enqueue({kind, std::move(payload), sum, std::move(done)});
}

void SegmentLog::append_lazy(std::uint8_t kind, std::string payload) {
  const auto sum = crc32(payload);
  enqueue({kind, std::move(payload), sum, {}});
}

void SegmentLog::enqueue(Pending pending) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back(std::move(pending));
  }
  wake_.notify_one();
}

void SegmentLog::run() {
  std::vector<Pending> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) break;
      batch.swap(pending_);
    }
    write_batch(batch);
    batch.clear();
  }
  if (current_.fd >= 0) ::fdatasync(current_.fd);  // the lazy frames written last
}

void SegmentLog::write_batch(std::vector<Pending>& batch) {
  std::uint64_t bytes = 0;
  for (const auto& pending : batch) bytes += kLogFrameHeader + pending.payload.size();
  int error = 0;
  if (current_.fd < 0 ||
      (current_.end + bytes > options_.segment_size && current_.end > kSegmentHeader))
    error = open_next_segment();
  std::vector<std::string_view> pieces;
  std::vector<Location> locations;
  auto at = current_.end;
  for (auto& pending : batch) {
    const auto size = static_cast<std::uint32_t>(pending.payload.size());
    pending.header = encode_log_frame_header(current_.key, pending.kind, size, pending.payload_crc);
    pieces.push_back(pending.header);
    pieces.push_back(pending.payload);
    locations.push_back({current_.number, at, size});
    at += kLogFrameHeader + size;
  }
  if (error == 0) error = pwritev_all(current_.fd, pieces, static_cast<off_t>(current_.end));
  const bool waited_for = std::any_of(batch.begin(), batch.end(),
                                      [](const Pending& pending) { return !!pending.done; });
  if (error == 0 && waited_for) {
    if (::fdatasync(current_.fd) != 0) error = errno;
    std::lock_guard lock(mutex_);
    ++syncs_;
  }
  if (error != 0) {
    // What reached the disk of this segment is unknown: later frames go to a new one.
    if (current_.fd >= 0) ::close(current_.fd);
    current_.fd = -1;
    for (auto& pending : batch)
      if (pending.done) pending.done(std::unexpected(io_failure("spool log", error)));
    return;
  }
  current_.end = at;
  for (std::size_t i = 0; i < batch.size(); ++i)
    if (batch[i].done) batch[i].done(locations[i]);
}

std::vector<std::uint64_t> SegmentLog::segments() const {
  std::vector<std::uint64_t> out;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir_, error))
    if (const auto number = segment_number(entry.path())) out.push_back(*number);
  std::sort(out.begin(), out.end());
  return out;
}

std::uint64_t SegmentLog::current_segment() const {
  std::lock_guard lock(mutex_);
  return current_number_;
}

std::uint64_t SegmentLog::syncs() const {
  std::lock_guard lock(mutex_);
  return syncs_;
}

std::expected<LogKey, core::Failure> SegmentLog::key_of(std::uint64_t segment) const {
  {
    std::lock_guard lock(mutex_);
    if (const auto found = keys_.find(segment); found != keys_.end()) return found->second;
  }
  std::size_t size = 0;
  const auto opened = open_regular(path_of(segment), size);
  if (!opened)
    return std::unexpected(io_failure("open segment " + std::to_string(segment), opened.error()));
  const FileDescriptor fd(*opened);
  const auto header = read_at(fd.get(), 0, kSegmentHeader);
  if (!header)
    return std::unexpected(io_failure("read segment " + std::to_string(segment), header.error()));
  auto key = key_in(*header, segment);
  if (!key) return key;
  std::lock_guard lock(mutex_);
  keys_[segment] = *key;
  return key;
}

std::expected<SegmentLog::Scanned, core::Failure> SegmentLog::scan(std::uint64_t segment) const {
  auto bytes = read_file(path_of(segment));
  if (!bytes)
    return std::unexpected(io_failure("read segment " + std::to_string(segment), bytes.error()));
  const auto key = key_in(*bytes, segment);
  if (!key) return std::unexpected(key.error());
  Scanned out;
  out.bytes = std::make_unique<const std::string>(std::move(*bytes));
  const auto frames = std::string_view(*out.bytes).substr(kSegmentHeader);
  out.scan = scan_log(*key, frames);
  for (auto& frame : out.scan.frames) frame.offset += kSegmentHeader;
  for (auto& damage : out.scan.damage) damage.offset += kSegmentHeader;
  out.scan.end += kSegmentHeader;
  return out;
}

std::expected<std::string, core::Failure> SegmentLog::read(const Location& location) const {
  auto key = key_of(location.segment);
  if (!key) return std::unexpected(key.error());
  const auto path = path_of(location.segment);
  std::size_t size = 0;
  const auto opened = open_regular(path, size);
  if (!opened) return std::unexpected(io_failure("open " + path.string(), opened.error()));
  const FileDescriptor fd(*opened);
  const auto frame = read_at(fd.get(), location.offset, kLogFrameHeader + location.size);
  if (!frame) return std::unexpected(io_failure("read " + path.string(), frame.error()));
  const auto scanned = scan_log(*key, *frame);
  if (scanned.frames.size() != 1 || scanned.frames[0].payload.size() != location.size)
    return std::unexpected(core::Failure::temporary(
        451, {4, 3, 0},
        "Local error in processing (spool log record at " + std::to_string(location.segment) + ":" +
            std::to_string(location.offset) + " fails its checksum)"));
  return std::string(scanned.frames[0].payload);
}

std::expected<void, core::Failure> SegmentLog::remove_segment(std::uint64_t segment) {
  if (segment == current_segment())
    throw std::logic_error("SegmentLog::remove_segment of the current segment");
  if (::unlink(path_of(segment).c_str()) != 0 && errno != ENOENT)
    return std::unexpected(io_failure("remove segment " + std::to_string(segment), errno));
  std::lock_guard lock(mutex_);
  keys_.erase(segment);
  return {};
}

}  // namespace mxrelay::queue
