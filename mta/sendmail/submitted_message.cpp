// mta/sendmail: read_submitted_message() and SubmittedMessage.
#include "mta/sendmail/submitted_message.hpp"

#include <algorithm>

#include "core/ascii_case.hpp"
#include "mta/sendmail/address_list.hpp"

namespace mxrelay::mta::sendmail {

namespace {

// The lines of input without their LF or CRLF; with dot_ends_input, up to a "." line.
std::vector<std::string_view> input_lines(std::string_view input, bool dot_ends_input) {
  std::vector<std::string_view> lines;
  while (!input.empty()) {
    auto end = input.find('\n');
    auto line = input.substr(0, end);
    input = end == std::string_view::npos ? std::string_view() : input.substr(end + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (dot_ends_input && line == ".") break;
    lines.push_back(line);
  }
  return lines;
}

bool is_continuation(std::string_view line) {
  return !line.empty() && (line.front() == ' ' || line.front() == '\t');
}

// A field's first line: a name of printable characters other than ':' and space, then ':'.
bool starts_field(std::string_view line) {
  return !field_name(line).empty();
}

}  // namespace

std::string_view field_name(std::string_view field) {
  auto colon = field.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  auto name = field.substr(0, colon);
  while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
  bool printable =
      !name.empty() && std::ranges::all_of(name, [](char c) { return c > ' ' && c < 127; });
  return printable ? name : std::string_view();
}

SubmittedMessage read_submitted_message(std::string_view input, bool dot_ends_input) {
  auto lines = input_lines(input, dot_ends_input);
  SubmittedMessage message;
  std::size_t i = 0;
  if (!lines.empty() && starts_field(lines[0])) {
    for (; i < lines.size(); ++i) {
      if (is_continuation(lines[i])) {
        message.fields.back() += "\r\n";
        message.fields.back() += lines[i];
      } else if (starts_field(lines[i])) {
        message.fields.emplace_back(lines[i]);
      } else {
        break;
      }
    }
    if (i < lines.size() && lines[i].empty()) ++i;  // the empty line ending the header
  }
  for (; i < lines.size(); ++i) {
    message.body += lines[i];
    message.body += "\r\n";
  }
  return message;
}

bool SubmittedMessage::has_field(std::string_view name) const {
  return std::ranges::any_of(fields, [&](const std::string& field) {
    return core::equals_ignoring_case(field_name(field), name);
  });
}

std::expected<std::vector<std::string>, std::string> SubmittedMessage::header_recipients() const {
  std::vector<std::string> recipients;
  for (const auto& field : fields) {
    auto name = field_name(field);
    if (!core::equals_ignoring_case(name, "to") && !core::equals_ignoring_case(name, "cc") &&
        !core::equals_ignoring_case(name, "bcc"))
      continue;
    auto addresses = parse_address_list(std::string_view(field).substr(field.find(':') + 1));
    if (!addresses) return std::unexpected(std::string(name) + ": " + addresses.error());
    recipients.insert(recipients.end(), addresses->begin(), addresses->end());
  }
  return recipients;
}

void SubmittedMessage::remove_fields(std::string_view name) {
  std::erase_if(fields, [&](const std::string& field) {
    return core::equals_ignoring_case(field_name(field), name);
  });
}

std::string SubmittedMessage::str() const {
  std::string out;
  for (const auto& field : fields) {
    out += field;
    out += "\r\n";
  }
  out += "\r\n";
  out += body;
  return out;
}

}  // namespace mxrelay::mta::sendmail
