// mta/dkim: author_domain(): a small reader of the From: field's address list that knows
// quoted strings, comments, angle brackets and groups well enough to count the addresses.
#include "mta/dkim/author_domain.hpp"

#include <algorithm>
#include <vector>

#include "core/ascii_case.hpp"
#include "mta/dkim/folding_whitespace.hpp"

namespace mxrelay::mta::dkim {

namespace {

struct AddressList {
  std::vector<std::string> addresses;
  bool invalid = false;  // an element is not one address: never guess which one is the author
};

// The addresses of an address list: for each element, what is inside <...>, or the element
// itself without comments, quoted text standing for one character. An element with two
// <...>, space inside the address, or other than one '@' makes the list invalid.
AddressList addresses(std::string_view value) {
  AddressList found;
  std::string plain;   // the current element outside comments
  std::string angled;  // inside <...> of the current element
  bool in_angle = false;
  int angles = 0;
  bool in_quote = false;
  int comment_depth = 0;
  auto finish = [&] {
    const std::string_view address = trimmed(angles > 0 ? angled : plain);
    if (!address.empty() || angles > 0) {
      const bool one_address = angles <= 1 &&
                               std::ranges::none_of(address, is_folding_whitespace) &&
                               std::ranges::count(address, '@') == 1;
      if (!one_address) found.invalid = true;
      found.addresses.emplace_back(address);
    }
    plain.clear();
    angled.clear();
    angles = 0;
    in_angle = false;
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
        in_angle = true;
        ++angles;
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
    case Unsigned::malformed_header:
      return "malformed_header";
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
  if (list.addresses.size() > 1) return std::unexpected(Unsigned::several_authors);
  if (list.addresses.empty() || list.invalid) return std::unexpected(Unsigned::no_from);
  const auto& address = list.addresses.front();
  const auto at = address.find('@');
  if (at == 0 || at + 1 == address.size()) return std::unexpected(Unsigned::no_from);
  std::string domain = core::lower_ascii(std::string_view(address).substr(at + 1));
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  return domain;
}

}  // namespace mxrelay::mta::dkim
