// mta/sendmail: complete_header().
#include "mta/sendmail/header_completion.hpp"

#include <algorithm>
#include <string_view>

#include "core/rfc5322_date.hpp"

namespace mxrelay::mta::sendmail {

namespace {

// An RFC 5322 atext character, or the space between the words of a phrase.
bool is_phrase_character(char c) {
  constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~ ";
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         kSpecials.find(c) != std::string_view::npos;
}

std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c != '\r' && c != '\n') out += c;
  }
  return out + "\"";
}

}  // namespace

std::string from_field_value(const LocalSubmission& submission) {
  if (!submission.full_name || submission.full_name->empty()) return submission.sender;
  const auto& name = *submission.full_name;
  bool plain =
      std::ranges::all_of(name, is_phrase_character) && name.front() != ' ' && name.back() != ' ';
  return (plain ? name : quoted(name)) + " <" + submission.sender + ">";
}

void complete_header(SubmittedMessage& message, const LocalSubmission& submission) {
  if (!message.has_field("Date"))
    message.fields.push_back("Date: " + core::rfc5322_date(submission.unix_seconds));
  if (!message.has_field("Message-ID"))
    message.fields.push_back("Message-ID: <" + submission.unique_token + "@" + submission.hostname +
                             ">");
  if (!message.has_field("From")) message.fields.push_back("From: " + from_field_value(submission));
}

}  // namespace mxrelay::mta::sendmail
