// queue: the spool engines' shared file I/O (see spool_file_io.hpp).
#include "queue/spool_file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mxrelay::queue {

std::string describe_error(int error) {
  return error == kNotRegularFile ? "not a regular file" : std::strerror(error);
}

core::Failure io_failure(std::string_view what, int error) {
  auto reason = std::string(what) + ": " + describe_error(error);
  if (error == ENOSPC || error == EDQUOT)
    return core::Failure::temporary(452, {4, 3, 1}, "Insufficient system storage (" + reason + ")");
  return core::Failure::temporary(451, {4, 3, 0}, "Local error in processing (" + reason + ")");
}

FileDescriptor::~FileDescriptor() {
  if (fd_ >= 0) ::close(fd_);
}

int FileDescriptor::close() {
  int rc = ::close(fd_);
  fd_ = -1;
  return rc;
}

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

int pwrite_all(int fd, std::string_view bytes, off_t at) {
  while (!bytes.empty()) {
    const auto n = ::pwrite(fd, bytes.data(), bytes.size(), at);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    at += n;
  }
  return 0;
}

std::expected<std::string, int> read_at(int fd, std::uint64_t offset, std::size_t limit) {
  std::string out(limit, '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    auto n = ::pread(fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(errno);
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  out.resize(done);
  return out;
}

std::expected<int, int> open_regular(const std::filesystem::path& path, std::size_t& size) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  if (fd.get() < 0) return std::unexpected(errno == ELOOP ? kNotRegularFile : errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return std::unexpected(errno);
  if (!S_ISREG(st.st_mode)) return std::unexpected(kNotRegularFile);
  size = static_cast<std::size_t>(st.st_size);
  return fd.release();
}

std::expected<std::string, int> read_file(const std::filesystem::path& path) {
  std::size_t size = 0;
  auto opened = open_regular(path, size);
  if (!opened) return std::unexpected(opened.error());
  FileDescriptor fd(*opened);
  return read_at(fd.get(), 0, size);
}

}  // namespace mxrelay::queue
