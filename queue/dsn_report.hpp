// queue: renders an RFC 3464 delivery status notification (bounce, delay warning or
// success report) as a complete RFC 5322 message with CRLF lines, ready to be queued
// from the null sender. Pure: the time, MIME boundary and Message-ID come in as values,
// so the same input always gives the same bytes. Text from remote servers is sanitised
// (no CR, LF or other control characters, ASCII only) and every line stays below the
// 998-octet limit, so a remote reply cannot inject header fields or break the message.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "conf/core/smtp_status.hpp"
#include "dsn_parameters.hpp"
#include "message_record.hpp"

namespace mxrelay::queue {

// False for a message from the null sender: never bounce a bounce.
bool may_bounce(const Envelope& envelope);

// The RFC 3464 Action keyword: "failed", "delayed", "delivered", "relayed", "expanded".
const char* action_keyword(DsnAction action);

// One recipient block of the report.
struct DsnRecipient {
  std::optional<OriginalRecipient> original_recipient;  // the ORCPT, when given
  std::string final_recipient;                          // the RCPT TO address
  DsnAction action = DsnAction::failed;
  core::EnhancedStatus status;  // e.g. 5.1.1 (failed), 4.4.1 (delayed), 2.0.0 (delivered)
  std::string remote_mta;       // host name of the server that answered; "" when none did
  std::string diagnostic;       // that server's reply, "550 5.1.1 No such user"; "" if none
  std::optional<std::int64_t> last_attempt_unix;
  std::optional<std::int64_t> will_retry_until_unix;  // rendered for Action: delayed only
};

struct DsnContext {
  std::string reporting_mta;  // this relay's host name; From is MAILER-DAEMON@ this name
  std::string postmaster;     // address named in the text for help; also the To address
                              // when the original sender is <> (a failed bounce)
  std::int64_t now_unix = 0;  // Date of the report
  std::string boundary;       // MIME boundary; lengthened when the content contains it
  std::string message_id;     // without angle brackets, e.g. "20251125.AB12@relay.example"
};

// The report sent to the original sender (To: envelope.sender, or context.postmaster when
// the sender is <>). Subject by the most serious action present: failed, then delayed,
// then success. Part 3 holds the original headers (text/rfc822-headers), or the whole
// original message (message/rfc822) when envelope.ret is DsnRet::full and the message was
// not sent with REQUIRETLS (RFC 8689: then only its header section).
// original_message: the message as spooled (headers, blank line, body; CRLF lines).
std::string render_dsn(const DsnContext& context, const Envelope& envelope,
                       std::string_view original_message, std::span<const DsnRecipient> recipients);

}  // namespace mxrelay::queue
