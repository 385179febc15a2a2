// mta/protocol: split_message() and the field name helpers.
#include "mta/protocol/header_fields.hpp"

#include <algorithm>

namespace mxrelay::mta {

MessageParts split_message(std::string_view message) {
  MessageParts parts;
  std::size_t pos = 0;
  while (pos < message.size()) {
    auto eol = message.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = message.size();
    if (eol == pos) {  // the empty line
      parts.body = message.substr(std::min(message.size(), pos + 2));
      return parts;
    }
    const char first = message[pos];
    if ((first == ' ' || first == '\t') && !parts.fields.empty()) {
      auto& field = parts.fields.back();
      field.raw = message.substr(field.raw.data() - message.data(),
                                 eol - static_cast<std::size_t>(field.raw.data() - message.data()));
    } else {
      const auto line = message.substr(pos, eol - pos);
      auto name = line.substr(0, line.find(':'));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      parts.fields.push_back({name, line});
    }
    pos = eol + 2;
  }
  return parts;
}

bool same_field_name(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) {
    return (x >= 'A' && x <= 'Z' ? x + 32 : x) == (y >= 'A' && y <= 'Z' ? y + 32 : y);
  });
}

std::size_t count_fields(const MessageParts& parts, std::string_view name) {
  return static_cast<std::size_t>(std::ranges::count_if(
      parts.fields, [&](const HeaderField& field) { return same_field_name(field.name, name); }));
}

}  // namespace mxrelay::mta
