// tests/mta/sendmail: read_submitted_message() (line ends, the "." line, where the header
// ends), the recipients of To/Cc/Bcc, Bcc removal and complete_header().
#include "mta/sendmail/submitted_message.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mta/sendmail/header_completion.hpp"

namespace mxrelay::mta::sendmail {
namespace {

struct InputCase {
  std::string input;
  bool dot_ends_input;
  std::string submitted;  // SubmittedMessage::str()
};

TEST(SubmittedMessage, ReadsStdinAsSendmailDoes) {
  const std::vector<InputCase> cases = {
      {"Subject: a\nTo: b@x.example\n\nline\n", true,
       "Subject: a\r\nTo: b@x.example\r\n\r\nline\r\n"},
      {"Subject: a\r\n\r\nline\r\n", true, "Subject: a\r\n\r\nline\r\n"},
      // Without -i a "." line ends the input; with -i it is content.
      {"Subject: a\n\nfirst\n.\nafter\n", true, "Subject: a\r\n\r\nfirst\r\n"},
      {"Subject: a\n\nfirst\n.\nafter\n", false, "Subject: a\r\n\r\nfirst\r\n.\r\nafter\r\n"},
      {"Subject: a\n\n..not the end\n", true, "Subject: a\r\n\r\n..not the end\r\n"},
      // A last line without a line end.
      {"Subject: a\n\nno newline", true, "Subject: a\r\n\r\nno newline\r\n"},
      // Folded fields stay one field.
      {"Subject: a\n long\n\tlonger\nTo: b@x.example\n\nx\n", true,
       "Subject: a\r\n long\r\n\tlonger\r\nTo: b@x.example\r\n\r\nx\r\n"},
      // No header at all: the whole input is the body.
      {"just text\nmore\n", true, "\r\njust text\r\nmore\r\n"},
      {"From sender Thu Dec  3 10:00:00 2026\nhi\n", true,
       "\r\nFrom sender Thu Dec  3 10:00:00 2026\r\nhi\r\n"},
      // A header ended by a line that is no field: the body starts there.
      {"Subject: a\nthis is body\n", true, "Subject: a\r\n\r\nthis is body\r\n"},
      {"Subject: only a header\n", true, "Subject: only a header\r\n\r\n"},
      {"", true, "\r\n"},
  };
  for (const auto& c : cases) {
    auto message = read_submitted_message(c.input, c.dot_ends_input);
    EXPECT_EQ(message.str(), c.submitted) << c.input;
  }
}

TEST(SubmittedMessage, HeaderRecipientsComeFromToCcAndBcc) {
  auto message = read_submitted_message(
      "From: me@x.example\n"
      "To: Ann <ann@x.example>, bob@y.example\n"
      "Reply-To: not@recipient.example\n"
      "CC: team: c@z.example;\n"
      "bcc: hidden@x.example\n"
      "Resent-To: not@either.example\n"
      "Subject: to: fake@header.example\n\nbody\n",
      true);
  auto recipients = message.header_recipients();
  ASSERT_TRUE(recipients.has_value()) << recipients.error();
  EXPECT_EQ(*recipients, (std::vector<std::string>{"ann@x.example", "bob@y.example", "c@z.example",
                                                   "hidden@x.example"}));

  message.remove_fields("Bcc");
  EXPECT_FALSE(message.has_field("bcc"));
  EXPECT_EQ(message.str().find("hidden"), std::string::npos);
  EXPECT_TRUE(message.has_field("cc"));
}

TEST(SubmittedMessage, AnUnclosedHeaderAddressIsAnError) {
  auto message = read_submitted_message("To: \"Ann <ann@x.example>\n\nx\n", true);
  auto recipients = message.header_recipients();
  ASSERT_FALSE(recipients.has_value());
  EXPECT_EQ(recipients.error(), "To: unterminated quoted string");
}

TEST(FieldName, IsTheTextBeforeTheColon) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"To: a@x.example", "To"}, {"to : a@x.example", "to"}, {"X-Loop:x", "X-Loop"},
      {": empty name", ""},      {"no colon here", ""},      {"two words: x", ""},
  };
  for (const auto& [field, name] : cases) EXPECT_EQ(field_name(field), name) << field;
}

LocalSubmission submission() {
  LocalSubmission s;
  s.sender = "root@relay.example";
  s.hostname = "relay.example";
  s.unix_seconds = 1796307322;  // Thu, 03 Dec 2026 14:15:22 UTC
  s.unique_token = "1796307322.00ab";
  return s;
}

TEST(HeaderCompletion, AddsDateMessageIdAndFromWhenMissing) {
  auto message = read_submitted_message("Subject: cron\n\nout\n", true);
  auto s = submission();
  s.full_name = "Cron Daemon";
  complete_header(message, s);
  EXPECT_EQ(message.str(),
            "Subject: cron\r\n"
            "Date: Thu, 3 Dec 2026 14:15:22 +0000\r\n"
            "Message-ID: <1796307322.00ab@relay.example>\r\n"
            "From: Cron Daemon <root@relay.example>\r\n"
            "\r\nout\r\n");
}

TEST(HeaderCompletion, KeepsTheFieldsTheMessageHas) {
  const std::string input =
      "date: Thu, 03 Dec 2026 10:00:00 +0100\nMESSAGE-ID: <a@b>\nFrom: me@x.example\n\nx\n";
  auto message = read_submitted_message(input, true);
  complete_header(message, submission());
  EXPECT_EQ(message.fields.size(), 3u);
}

TEST(HeaderCompletion, QuotesAFullNameThatIsNoPlainPhrase) {
  const std::vector<std::pair<std::optional<std::string>, std::string>> cases = {
      {std::nullopt, "root@relay.example"},
      {"", "root@relay.example"},
      {"CronDaemon", "CronDaemon <root@relay.example>"},
      {"Backup job", "Backup job <root@relay.example>"},
      {"Doe, John", "\"Doe, John\" <root@relay.example>"},
      {"say \"hi\"", "\"say \\\"hi\\\"\" <root@relay.example>"},
      {"a.b", "\"a.b\" <root@relay.example>"},
      // RFC 2047: UTF-8 in "B" encoded-words of at most 75 characters, whole characters each.
      {"J\xc3\xbcrgen M\xc3\xbcller", "=?UTF-8?B?SsO8cmdlbiBNw7xsbGVy?= <root@relay.example>"},
      {std::string(44, 'a') + "\xc3\xa9z",
       "=?UTF-8?B?YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWE=?= "
       "=?UTF-8?B?w6l6?= <root@relay.example>"},
  };
  for (const auto& [name, value] : cases) {
    auto s = submission();
    s.full_name = name;
    EXPECT_EQ(from_field_value(s), value);
  }
}

}  // namespace
}  // namespace mxrelay::mta::sendmail
