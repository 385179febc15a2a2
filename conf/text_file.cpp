// conf: read_text_file().
#include "text_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace mxrelay::conf {

std::expected<std::string, std::string> read_text_file(const std::filesystem::path& file) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> stream(std::fopen(file.c_str(), "rb"),
                                                         &std::fclose);
  std::string text;
  int read_errno = 0;
  if (!stream) {
    read_errno = errno;
  } else {
    char buffer[8192];
    std::size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof buffer, stream.get())) > 0)
      text.append(buffer, count);
    if (std::ferror(stream.get())) read_errno = errno;
  }
  if (read_errno != 0) return std::unexpected(std::string(std::strerror(read_errno)));
  return text;
}

}  // namespace mxrelay::conf
