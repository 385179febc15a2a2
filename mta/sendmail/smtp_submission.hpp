// mta/sendmail: the SMTP dialogue of `mxrelay sendmail` with the relay's own listener:
// EHLO, MAIL FROM (BODY=8BITMIME and SMTPUTF8 when the message or an address needs them),
// one RCPT TO per recipient, DATA, QUIT, on a blocking loopback connection with a time limit.
// All or nothing: a refused recipient ends the dialogue before DATA, so a retry by the caller
// never sends the message twice. failure_for_reply() is the pure mapping of a refusal to the
// sysexits.h status.
#pragma once

#include <expected>
#include <string>
#include <string_view>

#include "mta/protocol/smtp_reply.hpp"
#include "mta/sendmail/envelope.hpp"
#include "mta/sendmail/sendmail_failure.hpp"
#include "mta/sendmail/submission_target.hpp"

namespace mxrelay::mta::sendmail {

// A reply that is not the expected one, to `command` ("MAIL FROM", "RCPT TO:<a@x>", ...):
// EX_TEMPFAIL for 4xx, EX_NOUSER for a 5xx to RCPT, else EX_UNAVAILABLE; the message quotes
// the server's reply.
SendmailFailure failure_for_reply(std::string_view command, const SmtpReply& reply);

// data: the message (CRLF lines), not yet dot-stuffed.
std::expected<void, SendmailFailure> submit_message(const SubmissionTarget& target,
                                                    const Envelope& envelope,
                                                    std::string_view data);

}  // namespace mxrelay::mta::sendmail
