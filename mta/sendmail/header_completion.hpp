// mta/sendmail: the header fields a locally submitted message must carry, added when missing
// as Postfix's cleanup adds them: Date (the submission time), Message-ID (a unique token at
// the relay's host name) and From (the envelope sender, with the -F full name). Pure: the
// time and the unique token come in as values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mta/sendmail/submitted_message.hpp"

namespace mxrelay::mta::sendmail {

struct LocalSubmission {
  std::string sender;                    // the envelope sender, "user@host"
  std::optional<std::string> full_name;  // -F
  std::string hostname;                  // right of the '@' in an added Message-ID
  std::int64_t unix_seconds = 0;         // the time of the submission
  std::string unique_token;              // left of the '@' in an added Message-ID
};

// Appends each missing field after the existing ones.
void complete_header(SubmittedMessage& message, const LocalSubmission& submission);

// "Name <a@x>", the name quoted when it holds anything but atoms and spaces ("a@x" alone
// without a name).
std::string from_field_value(const LocalSubmission& submission);

}  // namespace mxrelay::mta::sendmail
