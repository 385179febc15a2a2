// mta/sendmail: complete_header().
#include "mta/sendmail/header_completion.hpp"

#include <algorithm>
#include <string_view>

#include "core/rfc5322_date.hpp"
#include "mta/protocol/base64.hpp"

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

// A name with octets beyond ASCII as RFC 2047 "B" encoded-words of UTF-8, each within the
// 75-character limit and never splitting a character: "=?UTF-8?B?...?= =?UTF-8?B?...?=".
std::string encoded_words(std::string_view name) {
  constexpr std::size_t kMaxOctetsPerWord = 45;  // 60 base64 characters + 12 around them
  std::string out;
  while (!name.empty()) {
    std::size_t take = std::min(name.size(), kMaxOctetsPerWord);
    while (take < name.size() && take > 1 &&
           (static_cast<unsigned char>(name[take]) & 0xc0) == 0x80)
      --take;
    if (!out.empty()) out += ' ';
    out += "=?UTF-8?B?" + encode_base64(name.substr(0, take)) + "?=";
    name.remove_prefix(take);
  }
  return out;
}

bool beyond_ascii(std::string_view text) {
  return std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

}  // namespace

std::string from_field_value(const LocalSubmission& submission) {
  if (!submission.full_name || submission.full_name->empty()) return submission.sender;
  const auto& name = *submission.full_name;
  if (beyond_ascii(name)) return encoded_words(name) + " <" + submission.sender + ">";
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
