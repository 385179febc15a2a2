// mta/protocol: one-pass dot-stuffing into a reserved buffer.
#include "mta/protocol/dot_stuffing.hpp"

#include <cstring>

namespace mxrelay::mta {

namespace {

void append_stuffed_line(std::string& out, std::string_view line) {
  if (!line.empty() && line.front() == '.') out += '.';
  out += line;
  out += "\r\n";
}

// A line without its LF; any CR in it ends a line as well.
void append_line_splitting_bare_cr(std::string& out, std::string_view line) {
  for (;;) {
    const void* cr = std::memchr(line.data(), '\r', line.size());
    if (!cr) {
      append_stuffed_line(out, line);
      return;
    }
    const std::size_t length = static_cast<const char*>(cr) - line.data();
    append_stuffed_line(out, line.substr(0, length));
    line.remove_prefix(length + 1);
    if (line.empty()) return;
  }
}

}  // namespace

void append_dot_stuffed(std::string& out, std::string_view data) {
  out.reserve(out.size() + data.size() + data.size() / 64 + 5);
  while (!data.empty()) {
    const void* lf = std::memchr(data.data(), '\n', data.size());
    const std::size_t length =
        lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - data.data()) : data.size();
    std::string_view line = data.substr(0, length);
    if (lf && !line.empty() && line.back() == '\r') line.remove_suffix(1);
    append_line_splitting_bare_cr(out, line);
    data.remove_prefix(lf ? length + 1 : length);
  }
  out += ".\r\n";
}

}  // namespace mxrelay::mta
