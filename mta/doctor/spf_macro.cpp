// mta/doctor: expand_spf_macros().
#include "mta/doctor/spf_macro.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

#include "mta/doctor/reverse_name.hpp"

namespace mxrelay::mta::doctor {

namespace {

constexpr std::string_view kDelimiters = ".-+,/_=";
constexpr std::size_t kMaxDomainLength = 253;

std::expected<std::string, std::string> letter_value(char letter, const SpfMacroContext& c) {
  const auto at = c.sender.rfind('@');
  switch (letter) {
    case 's':
      return c.sender;
    case 'l':
      return at == std::string::npos || at == 0 ? std::string("postmaster")
                                                : c.sender.substr(0, at);
    case 'o':
      return at == std::string::npos ? c.sender : c.sender.substr(at + 1);
    case 'd':
      return c.domain;
    case 'i':
      return c.ip.is_v6() ? dotted_nibbles(c.ip) : c.ip.str();
    case 'h':
      return c.helo;
    case 'v':
      return std::string(c.ip.is_v6() ? "ip6" : "in-addr");
    default:
      return std::unexpected(std::string("macro letter \"") + letter +
                             "\" is not supported here (only s l o d i h v)");
  }
}

// RFC 3986 unreserved characters stay, everything else becomes %XX (uppercase macro letters).
std::string url_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    }
  }
  return out;
}

// One %{...} body: letter, optional digits, optional r, optional delimiters.
std::expected<std::string, std::string> expand_macro(std::string_view body,
                                                     const SpfMacroContext& context) {
  if (body.empty()) return std::unexpected(std::string("empty macro %{}"));
  const char letter = static_cast<char>(std::tolower(static_cast<unsigned char>(body[0])));
  auto value = letter_value(letter, context);
  if (!value) return value;
  std::size_t pos = 1;
  std::size_t keep = 0;
  while (pos < body.size() && std::isdigit(static_cast<unsigned char>(body[pos])))
    keep = std::min<std::size_t>(keep * 10 + static_cast<std::size_t>(body[pos++] - '0'), 1000);
  if (pos > 1 && keep == 0)
    return std::unexpected("zero labels in macro %{" + std::string(body) + "}");
  const bool reverse = pos < body.size() && (body[pos] == 'r' || body[pos] == 'R');
  if (reverse) ++pos;
  std::string_view delimiters = body.substr(pos);
  if (delimiters.find_first_not_of(kDelimiters) != std::string_view::npos)
    return std::unexpected("malformed macro %{" + std::string(body) + "}");
  if (delimiters.empty()) delimiters = ".";
  std::vector<std::string> parts{""};
  for (const char c : *value) {
    if (delimiters.find(c) != std::string_view::npos)
      parts.emplace_back();
    else
      parts.back() += c;
  }
  if (reverse) std::ranges::reverse(parts);
  if (keep > 0 && keep < parts.size())
    parts.erase(parts.begin(), parts.end() - static_cast<std::ptrdiff_t>(keep));
  std::string out;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    if (k > 0) out += '.';
    out += parts[k];
  }
  return std::isupper(static_cast<unsigned char>(body[0])) ? url_escape(out) : out;
}

}  // namespace

std::expected<std::string, std::string> expand_spf_macros(std::string_view spec,
                                                          const SpfMacroContext& context) {
  std::string out;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%') {
      out += spec[i];
      continue;
    }
    if (i + 1 == spec.size())
      return std::unexpected("a lone % at the end of \"" + std::string(spec) + "\"");
    const char next = spec[++i];
    if (next == '%') {
      out += '%';
    } else if (next == '_') {
      out += ' ';
    } else if (next == '-') {
      out += "%20";
    } else if (next == '{') {
      const auto close = spec.find('}', i);
      if (close == std::string_view::npos)
        return std::unexpected("unterminated macro in \"" + std::string(spec) + "\"");
      auto value = expand_macro(spec.substr(i + 1, close - i - 1), context);
      if (!value) return value;
      out += *value;
      i = close;
    } else {
      return std::unexpected("\"%" + std::string(1, next) + "\" is not a macro (7.1)");
    }
  }
  while (out.size() > kMaxDomainLength) {
    const auto dot = out.find('.');
    if (dot == std::string::npos) break;
    out.erase(0, dot + 1);
  }
  return out;
}

}  // namespace mxrelay::mta::doctor
