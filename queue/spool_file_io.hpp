// queue: the POSIX file I/O the spool's engines share (the file-per-message spool and the
// segment log): an owned descriptor, complete writes and positioned reads, opening a spool
// file without trusting what is there, and the reply a disk error earns (disk full:
// 452 4.3.1, any other error: 451 4.3.0).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>

#include "core/smtp_status.hpp"

namespace mxrelay::queue {

// Not an errno value: a spool path that is not a regular file (a FIFO, a device, a link, a
// folder planted where a record should be).
constexpr int kNotRegularFile = -1;

// strerror, or "not a regular file".
std::string describe_error(int error);
// "what: reason" as the 4xx a client or the queue gets for a disk error.
core::Failure io_failure(std::string_view what, int error);

// Closes the descriptor on every path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  // Closes now and reports the result (close can report deferred write errors).
  int close();

 private:
  int fd_;
};

// 0 or an errno value.
int write_all(int fd, std::string_view bytes);
int pwrite_all(int fd, std::string_view bytes, off_t at);
// Up to `limit` bytes of the open file from `offset` (fewer at its end).
std::expected<std::string, int> read_at(int fd, std::uint64_t offset, std::size_t limit);
// Opens a spool file for reading: never blocks (O_NONBLOCK: a FIFO would block open() for
// ever), never follows a symbolic link, and takes only a regular file. Returns the descriptor
// (the caller owns it) and sets size; an errno value or kNotRegularFile otherwise.
std::expected<int, int> open_regular(const std::filesystem::path& path, std::size_t& size);
// The whole of a regular file, opened as open_regular does.
std::expected<std::string, int> read_file(const std::filesystem::path& path);

}  // namespace mxrelay::queue
