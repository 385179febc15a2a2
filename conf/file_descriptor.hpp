// conf: an owned POSIX file descriptor, closed when it goes out of scope; for the readers of
// configuration files, which open with O_NONBLOCK and check the type on the descriptor.
#pragma once

#include <unistd.h>

#include <utility>

namespace mxrelay::conf {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace mxrelay::conf
