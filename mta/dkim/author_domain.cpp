// mta/dkim: author_domain(): a small reader of the From: field's address list that knows
// quoted strings, comments, angle brackets and groups well enough to count the addresses.
#include "mta/dkim/author_domain.hpp"

#include <vector>

#include "core/ascii_case.hpp"

namespace mxrelay::mta::dkim {

namespace {

// The addresses of an address list: for each element, what is inside <...>, or the element
// itself without comments and quoted display text.
std::vector<std::string> addresses(std::string_view value) {
  std::vector<std::string> found;
  std::string plain;   // the current element outside comments
  std::string angled;  // inside <...> of the current element
  bool in_angle = false;
  bool had_angle = false;
  bool in_quote = false;
  int comment_depth = 0;
  auto finish = [&] {
    std::string address = had_angle ? angled : plain;
    std::erase_if(address, [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
    if (!address.empty()) found.push_back(address);
    plain.clear();
    angled.clear();
    had_angle = in_angle = false;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (in_quote) {
      if (c == '\\' && i + 1 < value.size()) {
        ++i;
      } else if (c == '"') {
        in_quote = false;
      }
      (in_angle ? angled : plain) += 'q';  // keeps a quoted local part non-empty
      continue;
    }
    if (comment_depth > 0) {
      if (c == '\\')
        ++i;
      else if (c == '(')
        ++comment_depth;
      else if (c == ')')
        --comment_depth;
      continue;
    }
    switch (c) {
      case '"':
        in_quote = true;
        break;
      case '(':
        comment_depth = 1;
        break;
      case '<':
        in_angle = had_angle = true;
        angled.clear();
        break;
      case '>':
        in_angle = false;
        break;
      case ',':
      case ';':
        if (!in_angle)
          finish();
        else
          angled += c;
        break;
      case ':':
        if (!in_angle)
          plain.clear();
        else
          angled += c;
        break;  // a group's name
      default:
        (in_angle ? angled : plain) += c;
    }
  }
  finish();
  return found;
}

}  // namespace

const char* to_string(Unsigned reason) {
  switch (reason) {
    case Unsigned::no_from:
      return "no_from";
    case Unsigned::several_authors:
      return "several_authors";
    case Unsigned::no_key:
      return "no_key";
  }
  return "unknown";
}

std::expected<std::string, Unsigned> author_domain(const MessageParts& parts) {
  const HeaderField* from = nullptr;
  for (const auto& field : parts.fields) {
    if (!core::equals_ignoring_case(field.name, "From")) continue;
    if (from != nullptr) return std::unexpected(Unsigned::several_authors);
    from = &field;
  }
  if (from == nullptr) return std::unexpected(Unsigned::no_from);
  const auto list = addresses(from->raw.substr(from->raw.find(':') + 1));
  if (list.size() > 1) return std::unexpected(Unsigned::several_authors);
  if (list.empty()) return std::unexpected(Unsigned::no_from);
  const auto at = list.front().rfind('@');
  if (at == std::string::npos || at + 1 == list.front().size())
    return std::unexpected(Unsigned::no_from);
  std::string domain = core::lower_ascii(std::string_view(list.front()).substr(at + 1));
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  return domain;
}

}  // namespace mxrelay::mta::dkim
