// mta/sendmail: the message that `mxrelay sendmail` reads on stdin, turned into what it
// submits: LF or CRLF lines made CRLF, input ended by a line "." unless -i, the header split
// into fields (a first line that is no field means there is no header; a header that ends
// without an empty line gets one), the recipients that To, Cc and Bcc name (for -t), and
// every Bcc field removed, as Postfix's cleanup removes them. Pure.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta::sendmail {

struct SubmittedMessage {
  std::vector<std::string> fields;  // each whole field, folded lines joined by CRLF, no final CRLF
  std::string body;                 // CRLF lines, after the empty line

  // "Subject: x" -> true for "subject"; the name is compared without case.
  bool has_field(std::string_view name) const;
  // The recipients named in every To, Cc and Bcc field, in order.
  std::expected<std::vector<std::string>, std::string> header_recipients() const;
  void remove_fields(std::string_view name);
  // The fields, the empty line and the body, as SMTP DATA carries them (before dot-stuffing).
  std::string str() const;
};

// input: what was read from stdin. With dot_ends_input, a line holding only "." ends the
// message (as sendmail without -i); what follows it is ignored.
SubmittedMessage read_submitted_message(std::string_view input, bool dot_ends_input);

// "To" for "To: a@x" and for "to : a@x"; "" when the line holds no colon.
std::string_view field_name(std::string_view field);

}  // namespace mxrelay::mta::sendmail
