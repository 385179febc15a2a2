// mta/protocol: the CRLF line discipline of SMTP (RFC 5321 2.3.8): only CR LF ends a line. A CR or
// LF on its own, or a NUL, never ends a line; callers refuse lines that contain one.
#pragma once

#include <cstddef>
#include <cstring>
#include <string_view>

namespace mxrelay::mta {

// Offset of the first CR LF pair in text, or npos. Bare LFs are skipped over.
inline std::size_t find_crlf(std::string_view text) {
  std::size_t from = 0;
  while (from < text.size()) {
    const void* hit = std::memchr(text.data() + from, '\n', text.size() - from);
    if (hit == nullptr) break;
    std::size_t lf = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    if (lf > 0 && text[lf - 1] == '\r') return lf - 1;
    from = lf + 1;
  }
  return std::string_view::npos;
}

// True if a line (without its CRLF) holds a CR, an LF or a NUL.
inline bool has_bare_line_ending_or_nul(std::string_view line) {
  return std::memchr(line.data(), '\r', line.size()) != nullptr ||
         std::memchr(line.data(), '\n', line.size()) != nullptr ||
         std::memchr(line.data(), '\0', line.size()) != nullptr;
}

}  // namespace mxrelay::mta
