// mta/dkim: the whitespace of header and tag text (RFC 6376 2.8 FWS: space, tab, and the CR LF
// of folded lines), as the From: reader and the key-record reader skip it.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace mxrelay::mta::dkim {

inline bool is_folding_whitespace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// `text` without the whitespace at either end.
inline std::string_view trimmed(std::string_view text) {
  while (!text.empty() && is_folding_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_folding_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

// `text` without any whitespace (a base64 value split over folded lines).
inline std::string without_whitespace(std::string_view text) {
  std::string out(text);
  std::erase_if(out, is_folding_whitespace);
  return out;
}

}  // namespace mxrelay::mta::dkim
