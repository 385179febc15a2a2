// mta/protocol: split_message() and count_fields().
#include "mta/protocol/header_fields.hpp"

#include <algorithm>

#include "core/ascii_case.hpp"

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
    const bool continuation = first == ' ' || first == '\t';
    if (continuation && parts.fields.empty()) parts.malformed = true;
    if (continuation && !parts.fields.empty()) {
      auto& field = parts.fields.back();
      field.raw = message.substr(field.raw.data() - message.data(),
                                 eol - static_cast<std::size_t>(field.raw.data() - message.data()));
    } else {
      const auto line = message.substr(pos, eol - pos);
      if (line.find(':') == std::string_view::npos) parts.malformed = true;
      auto name = line.substr(0, line.find(':'));
      while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
      parts.fields.push_back({name, line});
    }
    pos = eol + 2;
  }
  return parts;
}

std::size_t count_fields(const MessageParts& parts, std::string_view name) {
  return static_cast<std::size_t>(std::ranges::count_if(
      parts.fields,
      [&](const HeaderField& field) { return core::equals_ignoring_case(field.name, name); }));
}

}  // namespace mxrelay::mta
