// mta/sendmail: the envelope of a local submission: the sender (-f, else the user at the
// relay's host name; "" or "<>" is the null sender) and the recipients (the arguments, and
// with -t those of To, Cc and Bcc), each a full address: mxrelay delivers no local mail, so a
// bare user name is refused (EX_NOUSER) rather than guessed. Pure.
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <vector>

#include "mta/sendmail/sendmail_failure.hpp"
#include "mta/sendmail/sendmail_options.hpp"
#include "mta/sendmail/submitted_message.hpp"

namespace mxrelay::mta::sendmail {

struct Envelope {
  std::string sender;  // "" for the null sender
  std::vector<std::string> recipients;
};

// given: the -f value; user: the login name of the caller.
std::string envelope_sender(const std::optional<std::string>& given, const std::string& user,
                            const std::string& hostname);

// The recipients, each once, in the order first named; EX_USAGE without any, EX_DATAERR for
// an address list or address that does not parse, EX_NOUSER for one without a domain.
std::expected<std::vector<std::string>, SendmailFailure> envelope_recipients(
    const SendmailOptions& options, const SubmittedMessage& message);

}  // namespace mxrelay::mta::sendmail
