// conf: check_secret_file() and read_secret_file(), with the access checks done on the open
// descriptor.
#include "secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "file_descriptor.hpp"

namespace mxrelay::conf {

namespace {

// Longer first lines are not passwords; reading stops here.
constexpr std::size_t kMaxSecretFileRead = 4096;

// Why a file with `mode` may not hold a secret; "" when it may.
std::string_view access_problem(mode_t mode) {
  if (mode & (S_IRGRP | S_IROTH)) return "is readable by others (chmod 600)";
  if (mode & (S_IWGRP | S_IWOTH)) return "is writable by others (chmod 600)";
  if (mode & (S_IXGRP | S_IXOTH)) return "is executable by others (chmod 600)";
  return "";
}

std::string first_line(std::string_view text) {
  auto end = text.find('\n');
  auto line = text.substr(0, end);
  if (end != std::string_view::npos && line.ends_with('\r')) line.remove_suffix(1);
  return std::string(line);
}

// `file` opened for reading, once it is known to be a regular file only its owner may access.
std::expected<FileDescriptor, std::string> open_secret_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) return std::unexpected("cannot read " + name + ": " + std::strerror(errno));
  struct stat status {};
  if (::fstat(fd.get(), &status) != 0)
    return std::unexpected("cannot read " + name + ": " + std::strerror(errno));
  if (!S_ISREG(status.st_mode)) return std::unexpected(name + " is not a regular file");
  if (auto problem = access_problem(status.st_mode); !problem.empty())
    return std::unexpected(name + " " + std::string(problem));
  return fd;
}

}  // namespace

std::expected<std::string, std::string> read_secret_text(const std::filesystem::path& file,
                                                         std::size_t max_size) {
  const std::string name = file.string();
  auto fd = open_secret_file(file);
  if (!fd) return std::unexpected(fd.error());
  std::string text;
  std::array<char, 4096> buffer{};
  for (;;) {
    ssize_t count = ::read(fd->get(), buffer.data(), buffer.size());
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return std::unexpected("cannot read " + name + ": " + std::strerror(errno));
    if (count == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(count));
    if (text.size() > max_size)
      return std::unexpected(name + " is larger than " + std::to_string(max_size) + " octets");
  }
  if (text.empty()) return std::unexpected(name + " is empty");
  return text;
}

std::expected<void, std::string> check_secret_file(const std::filesystem::path& file) {
  auto fd = open_secret_file(file);
  if (!fd) return std::unexpected(fd.error());
  return {};
}

std::expected<std::string, std::string> read_secret_file(const std::filesystem::path& file) {
  const std::string name = file.string();
  auto fd = open_secret_file(file);
  if (!fd) return std::unexpected(fd.error());
  std::array<char, kMaxSecretFileRead> buffer{};
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    ssize_t count = ::read(fd->get(), buffer.data() + filled, buffer.size() - filled);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) return std::unexpected("cannot read " + name + ": " + std::strerror(errno));
    if (count == 0) break;
    filled += static_cast<std::size_t>(count);
  }
  auto secret = first_line(std::string_view(buffer.data(), filled));
  if (secret.empty()) return std::unexpected(name + " has an empty first line");
  return secret;
}

}  // namespace mxrelay::conf
