// tests/fuzz: what every harness shares: the input as text (or its NUL-separated parts), a
// deterministic choice stream derived from it (how to split the bytes into reads, which way the
// driver answers a step), the shape of a message as the spool holds it, and require(), which
// aborts with a message when a property of the code under test is broken (a finding, as a
// sanitizer report is).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property broken: %s\n", property);
  std::abort();
}

// A linear congruential stream seeded from the input's first octets: the same input always
// makes the same choices, so a crash replays exactly.
class Choices {
 public:
  explicit Choices(std::uint32_t seed) : state_(seed * 2654435761u + 1u) {}
  std::uint32_t next() {
    state_ = state_ * 1664525u + 1013904223u;
    return state_ >> 8;
  }
  // 1..limit
  std::size_t length(std::size_t limit) { return 1 + next() % limit; }
  bool one_in(std::uint32_t n) { return next() % n == 0; }

 private:
  std::uint32_t state_;
};

// The parts of `input` between NUL octets (one part when there is none).
inline std::vector<std::string> split_at_nul(std::string_view input) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const auto end = input.find('\0', start);
    parts.emplace_back(input.substr(start, end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

// What the inbound session lets into the spool: CRLF lines of at most 998 octets (CRLF
// excluded) without NUL, bare CR or bare LF.
inline bool canonical_message(std::string_view text) {
  std::size_t line = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\0' || c == '\n') return false;
    if (c == '\r') {
      if (i + 1 >= text.size() || text[i + 1] != '\n') return false;
      ++i;
      line = 0;
    } else if (++line > 998) {
      return false;
    }
  }
  return text.empty() || text.ends_with("\r\n");
}

// Cuts `input` into reads of varying size (1..max_read octets), as a network would.
class Reads {
 public:
  Reads(std::string_view input, Choices& choices, std::size_t max_read)
      : input_(input), choices_(choices), max_read_(max_read) {}
  bool empty() const { return input_.empty(); }
  std::string_view next() {
    const std::size_t size = std::min(input_.size(), choices_.length(max_read_));
    const std::string_view read = input_.substr(0, size);
    input_.remove_prefix(size);
    return read;
  }

 private:
  std::string_view input_;
  Choices& choices_;
  std::size_t max_read_;
};

}  // namespace mxrelay::fuzz
