// queue: what one delivery attempt did for one recipient, as typed values the delivery
// engine produces and the queue manager, the DSN notifier, the logs and the metrics read
// without parsing text: the status, the reply code and enhanced status, how far the
// failure reaches, the remote server that answered and that server's own words.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/smtp_status.hpp"

namespace mxrelay::queue {

// What became of a recipient in one attempt.
enum class DeliveryStatus { sent, deferred, bounced };
const char* to_string(DeliveryStatus status);

// How widely a failure applies.
enum class FailureScope {
  none,         // delivered
  recipient,    // only this recipient was refused; the message went to the others
  message,      // this message failed; the connection may carry other messages
  destination,  // the destination failed as a whole or asked us to go away: back off
  connection,   // this connection or address failed: another address may do better
};
const char* to_string(FailureScope scope);

// The server that answered; empty host when none did (the outcome is our own).
struct RemoteServer {
  std::string host;
  std::string address;  // "192.0.2.1", "2001:db8::1"
  std::uint16_t port = 0;

  bool known() const { return !host.empty(); }
  // "host[address]:port", or "none".
  std::string relay() const;
};

struct DeliveryOutcome {
  std::size_t index = 0;  // into Envelope::recipients
  DeliveryStatus status = DeliveryStatus::deferred;
  int reply_code = 451;
  core::EnhancedStatus enhanced_status{4, 0, 0};
  FailureScope scope = FailureScope::message;
  RemoteServer remote;  // the server talked to (or last tried); unknown when none was
  // That server's own reply ("550 5.1.1 No such user"); "" when the outcome is ours (a
  // refused connection, a timeout, DNS, policy).
  std::string remote_reply;
  // The whole story for logs and the queue ("host mx.example[192.0.2.1]:25 said: ...").
  std::string reason;

  // One of our own failures (DNS, policy, expiry, the administrator): no server involved.
  static DeliveryOutcome from_failure(std::size_t index, const core::Failure& failure,
                                      FailureScope scope = FailureScope::message);
};

}  // namespace mxrelay::queue
