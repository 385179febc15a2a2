// mta/protocol: one message as the outbound SMTP client sends it, and what became of it: the
// outcome per recipient and, when the attempt failed, the failure and how far it reaches (its
// scope).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_status.hpp"
#include "mta/protocol/dsn_parameter_syntax.hpp"
#include "mta/protocol/smtp_reply.hpp"
#include "queue/delivery_outcome.hpp"

namespace mxrelay::mta {

// Owned by the caller and alive until the session reports message_done.
struct OutboundMessage {
  std::string sender;                   // reverse path without brackets; "" for <>
  std::vector<std::string> recipients;  // forward paths without brackets; at least one
  const std::string* data = nullptr;    // canonical CRLF lines, NOT dot-stuffed
  // RFC 3461 parameters, passed on when the next hop offers DSN.
  MessageDsn dsn;                                  // RET and ENVID
  std::vector<queue::RecipientDsn> recipient_dsn;  // NOTIFY and ORCPT: empty, or one per recipient
  bool smtputf8 = false;  // received with SMTPUTF8 (non-ASCII addresses also imply it)
  // REQUIRETLS (RFC 8689): sent only over TLS verified by the session's policy (verify, or
  // DANE) to a server offering REQUIRETLS, else the message fails for good with 5.7.30.
  bool require_tls = false;
  // DKIM: the signature fields for exactly these bytes (the content as it will be sent, after
  // any 7-bit conversion), "" to send it unsigned; empty: no signing.
  std::function<std::string(std::string_view content)> sign = {};
};

// How widely a failure applies (the queue's enum): connection means try the next address,
// destination that it asked us to go away (421 in a transaction), message this message only,
// recipient only the recipients with a rejection.
using queue::FailureScope;

// The server's answer to one RCPT.
struct RecipientReply {
  SmtpReply reply;                         // the RCPT reply; code 0 when none was received
  bool accepted = false;                   // the server accepted the RCPT command
  std::optional<core::Failure> rejection;  // why the server refused this recipient
};

struct MessageResult {
  std::vector<RecipientReply> recipients;  // same order as OutboundMessage::recipients
  std::optional<core::Failure> failure;    // the message as a whole was not delivered
  FailureScope scope = FailureScope::none;
  SmtpReply final_reply;  // the reply to the end of data; code 0 when none was received
  // The message was not offered because this next hop cannot carry it (REQUIRETLS without
  // verified TLS, or not offered): another MX host may (RFC 8689 section 4.2.1).
  bool next_hop_unqualified = false;

  // True only when the server took responsibility for the message for this recipient.
  bool delivered(std::size_t recipient) const {
    return !failure && recipients[recipient].accepted && final_reply.is_positive();
  }
};

}  // namespace mxrelay::mta
