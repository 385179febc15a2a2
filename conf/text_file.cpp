// conf: read_text_file(), which takes only a regular file of bounded size: a configuration that
// names a FIFO, a device such as /dev/zero or a directory gets a clear error instead of a
// start-up that blocks or fills memory.
#include "text_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "file_descriptor.hpp"

namespace mxrelay::conf {

std::expected<std::string, std::string> read_text_file(const std::filesystem::path& file) {
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected(std::string(std::strerror(errno)));
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0) return std::unexpected(std::string(std::strerror(errno)));
  if (!S_ISREG(status.st_mode)) return std::unexpected(std::string("not a regular file"));
  if (static_cast<std::uintmax_t>(status.st_size) > kMaxTextFileSize)
    return std::unexpected("larger than " + std::to_string(kMaxTextFileSize >> 20) + " MiB");
  std::string text;
  char buffer[8192];
  for (;;) {
    const ssize_t count = ::read(fd.get(), buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return std::unexpected(std::string(std::strerror(errno)));
    if (count == 0) return text;
    if (text.size() + static_cast<std::size_t>(count) > kMaxTextFileSize)
      return std::unexpected("larger than " + std::to_string(kMaxTextFileSize >> 20) + " MiB");
    text.append(buffer, static_cast<std::size_t>(count));
  }
}

}  // namespace mxrelay::conf
