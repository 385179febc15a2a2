// mta/dkim: relaxed_header() and relaxed_body().
#include "mta/dkim/dkim_canonical.hpp"

#include "core/ascii_case.hpp"

namespace mxrelay::mta::dkim {

namespace {

bool is_wsp(char c) {
  return c == ' ' || c == '\t';
}

// Appends `text` with whitespace runs as one space and trailing whitespace dropped; CR and LF
// (of folded lines) count as whitespace, so unfolding comes for free.
void append_compressed(std::string& out, std::string_view text) {
  bool pending_space = false;
  for (char c : text) {
    if (is_wsp(c) || c == '\r' || c == '\n') {
      pending_space = true;
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
}

}  // namespace

std::string relaxed_header(std::string_view field) {
  const auto colon = field.find(':');
  std::string_view name = field.substr(0, colon);
  while (!name.empty() && is_wsp(name.back())) name.remove_suffix(1);
  std::string out;
  out.reserve(field.size() + 2);
  out += core::lower_ascii(name);
  out += ':';
  if (colon != std::string_view::npos) {
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() &&
           (is_wsp(value.front()) || value.front() == '\r' || value.front() == '\n'))
      value.remove_prefix(1);
    append_compressed(out, value);
  }
  out += "\r\n";
  return out;
}

std::string relaxed_body(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  std::size_t kept = 0;  // out's size up to the last non-empty line
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto eol = body.find("\r\n", pos);
    const bool terminated = eol != std::string_view::npos;
    if (!terminated) eol = body.size();
    const std::size_t line_start = out.size();
    append_compressed(out, body.substr(pos, eol - pos));
    const bool empty_line = out.size() == line_start;
    out += "\r\n";
    if (!empty_line) kept = out.size();
    pos = terminated ? eol + 2 : eol;
  }
  out.resize(kept);
  return out;
}

}  // namespace mxrelay::mta::dkim
