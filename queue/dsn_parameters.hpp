// queue: the RFC 3461 DSN parameters a client gave with MAIL (RET, ENVID) and RCPT
// (NOTIFY, ORCPT), as validated, decoded values kept in the spool record, and the pure
// rule that decides whether an outcome is reported to the sender (should_notify).
#pragma once

#include <optional>
#include <string>

namespace mxrelay::queue {

// MAIL ... RET=: what of the original message a DSN returns.
enum class DsnRet {
  unspecified,  // RET not given: the headers only
  full,         // RET=FULL: the whole message
  headers,      // RET=HDRS
};

// RCPT ... NOTIFY=: either never, or any non-empty mix of success, failure and delay.
struct DsnNotify {
  bool never = false;
  bool success = false;
  bool failure = false;
  bool delay = false;
  bool operator==(const DsnNotify&) const = default;
};

// RCPT ... ORCPT=addr-type;xtext, decoded: addr_type "rfc822", address printable ASCII.
struct OriginalRecipient {
  std::string addr_type;
  std::string address;
  bool operator==(const OriginalRecipient&) const = default;
};

struct RecipientDsn {
  std::optional<DsnNotify> notify;  // nullopt: NOTIFY not given, which means failure,delay
  std::optional<OriginalRecipient> orcpt;
  bool operator==(const RecipientDsn&) const = default;
};

// RFC 3464 Action values.
enum class DsnAction { failed, delayed, delivered, relayed, expanded };

// True when a DSN with this action is to be sent for a recipient with these NOTIFY flags.
// NEVER: none; failed -> FAILURE; delayed -> DELAY; delivered/relayed/expanded -> SUCCESS;
// NOTIFY not given: failed and delayed only.
bool should_notify(const std::optional<DsnNotify>& notify, DsnAction action);

}  // namespace mxrelay::queue
