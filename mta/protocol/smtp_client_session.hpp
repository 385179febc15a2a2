// mta/protocol: the outbound SMTP protocol (RFC 5321 client side) as a pure state machine, with no
// I/O. A driver performs the steps the session asks for (send bytes, read with a given
// timeout, TLS handshake) and feeds back what happened (bytes, EOF, timeout, handshake
// result). The session reads the greeting, says EHLO (HELO when EHLO is refused), starts TLS
// when the TLS policy asks for it (RFC 3207: then EHLO again), and is then ready to send
// messages one after another over the same connection (MAIL, RCPT, DATA pipelined when the
// server offers PIPELINING), until quit(). When the server offers CHUNKING (RFC 3030) and the
// context allows it, the content goes as one "BDAT n LAST" chunk instead of DATA (no
// dot-stuffing; pipelined with MAIL and RCPT under PIPELINING); its reply applies to every
// accepted recipient, like the reply to the final dot. Per message it adds DSN parameters when
// offered (RFC 3461), BODY=8BITMIME or a 7-bit conversion (RFC 6152), and refuses SMTPUTF8 content
// to a server without SMTPUTF8 (RFC 6531). A message that asks to be signed gets its DKIM
// signature fields over exactly the bytes sent (after any conversion); a message that already
// carries a DKIM-Signature is never converted (that would break it): it fails with 5.6.3. With
// credentials it authenticates after the (last) EHLO with AUTH PLAIN or LOGIN (RFC 4954), and only
// inside TLS: without TLS it quits with 4.7.4 and sends nothing of them. With implicit TLS (RFC
// 8314) the handshake comes before the greeting. Every outcome is a value: per-recipient replies, a
// failure with its scope, and a transcript without message content or secrets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_status.hpp"
#include "mta/protocol/client_auth.hpp"
#include "mta/protocol/outbound_message.hpp"
#include "mta/protocol/smtp_capabilities.hpp"
#include "mta/protocol/smtp_reply.hpp"
#include "mta/protocol/smtp_transcript.hpp"
#include "mta/protocol/tls_policy_rules.hpp"

namespace mxrelay::mta {

struct ClientSessionContext {
  std::string helo_name;    // our name in EHLO/HELO
  std::string remote_name;  // names the server in failure reasons, e.g. "mx.example[192.0.2.1]"
  TlsPolicy tls_policy = TlsPolicy::none;
  bool use_bdat = true;  // delivery.use_bdat: BDAT instead of DATA when CHUNKING is offered
  std::optional<ClientCredentials> credentials = {};  // AUTH after EHLO, only over TLS
  bool implicit_tls = false;  // the first step is the handshake, then the greeting (RFC 8314)
};

// How authentication went on a session that had credentials.
enum class AuthOutcome {
  none,         // no credentials, or not reached yet
  succeeded,    // 235
  refused,      // the server refused the credentials or the mechanism (535, 534, 538, 454...)
  unavailable,  // the server offers no AUTH mechanism mxrelay supports
  needs_tls,    // no TLS on the connection, so the credentials were not sent
};

class SmtpClientSession {
 public:
  // Which RFC 5321 4.5.3.2 timeout applies to a step (the driver maps it to DeliveryConfig).
  enum class Wait { greeting, ehlo, mail, rcpt, data_init, data_block, final_dot, quit };

  struct Step {
    enum class Kind {
      send,          // write `bytes` (within the `wait` timeout), then call next()
      need_input,    // read with the `wait` timeout; call on_input, on_eof or on_timeout
      ready,         // idle: call start_message() or quit(), then next()
      message_done,  // call take_result(), then next()
      start_tls,     // call begin_tls(), handshake, then on_tls_established or on_tls_failed
      closed,        // close the connection; the session is finished
    };
    Kind kind = Kind::need_input;
    std::string_view bytes;  // send only; valid until the next call on the session
    Wait wait = Wait::greeting;
  };

  explicit SmtpClientSession(ClientSessionContext context);

  void on_input(std::string_view bytes);
  // The server closed the connection, or reading or writing failed.
  void on_eof();
  // The read (or write) for the current step did not complete within its timeout.
  void on_timeout();
  // At a start_tls step, before the handshake: bytes_waiting is what the driver has received
  // but not passed on (e.g. the socket's available()). Any such byte was sent after the 220
  // and before the handshake, so the session fails (CVE-2011-0411 class) and returns false.
  bool begin_tls(std::size_t bytes_waiting);
  // description goes into the transcript, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384 verified".
  void on_tls_established(std::string_view description);
  void on_tls_failed(std::string_view reason);
  Step next();

  bool ready() const { return phase_ == Phase::ready && !result_pending_ && !eof_; }
  bool closed() const { return phase_ == Phase::closed; }
  bool tls_active() const { return tls_active_; }
  // The connection ended because the TLS handshake failed (RFC 7435 plaintext retry).
  bool tls_failed() const { return tls_failed_; }
  AuthOutcome auth_outcome() const { return auth_outcome_; }
  // The server sent a reply no command asked for, or a reply out of its place: the session
  // ended, and the message in flight (if any) was deferred because its outcome is uncertain.
  bool protocol_error() const { return protocol_error_; }
  // The server's reply that refused the credentials (auth_outcome() == refused).
  const std::optional<SmtpReply>& auth_reply() const { return auth_reply_; }

  // Only when ready(). The message must stay alive until message_done.
  void start_message(const OutboundMessage& message);
  // Only after a message_done step.
  MessageResult take_result();
  // Only when ready() or closed(): sends QUIT, waits for its reply, then closes.
  void quit();

  const PeerCapabilities& capabilities() const { return capabilities_; }
  // Why the connection failed outside a message (greeting, EHLO/HELO, lost while idle).
  const std::optional<core::Failure>& connection_failure() const { return connection_failure_; }
  // The greeting and EHLO, then the dialogue of the latest message (each start_message
  // drops the previous message's part).
  const Transcript& transcript() const { return transcript_; }

 private:
  enum class Phase { greeting, hello, starting_tls, ready, transaction, quitting, closed };
  enum class Command {
    greeting,
    ehlo,
    helo,
    starttls,
    auth_plain,
    auth_login,
    auth_login_username,
    auth_login_password,
    rset,
    mail,
    rcpt,
    data,
    end_of_data,
    empty_data,
    bdat_last,
    quit
  };
  struct PendingReply {
    Command command;
    std::size_t recipient = 0;
  };
  enum class Ending { quit, drop };

  static Wait wait_for(Command command);
  // "the initial greeting", "reply to RCPT TO command"
  static std::string_view awaited(Command command);

  void handle(PendingReply pending, SmtpReply reply);
  void on_greeting(const SmtpReply& reply);
  void on_ehlo(const SmtpReply& reply);
  void on_helo(const SmtpReply& reply);
  void on_starttls(const SmtpReply& reply);
  void apply_tls_decision(const TlsDecision& decision);
  // After the EHLO (or HELO) that ends the set-up: AUTH when there are credentials, or ready.
  void after_hello();
  void start_auth();
  void on_auth(Command command, const SmtpReply& reply);
  void fail_auth(AuthOutcome outcome, core::Failure failure);
  // Sends a line whose content must not be logged; the transcript shows `shown` instead.
  void send_secret(std::string_view line, std::string_view shown, Command command);
  // Chooses the body to send (as is or converted to 7 bit) and signs it when the message asks
  // for it; false when the message fails.
  bool prepare_content(const OutboundMessage& message);
  // Octets of the content as sent: the signature fields and the body.
  std::size_t content_size() const { return signature_.size() + content_->size(); }
  void on_rset(const SmtpReply& reply);
  void on_mail(const SmtpReply& reply);
  void on_rcpt(std::size_t recipient, SmtpReply reply);
  void on_data(const SmtpReply& reply);
  void on_end_of_data(SmtpReply reply);
  void on_bdat_last(SmtpReply reply);
  void become_ready();

  void send_hello(Command command);
  void send_starttls();
  void send_rset();
  void send_mail();
  void send_rcpt(std::size_t recipient);
  void send_data();
  void send_body();
  void send_empty_data();
  // The content as one chunk: "BDAT n LAST" and the bytes as they are.
  void send_bdat_last();
  // After the last RCPT: DATA, or the content as a BDAT chunk.
  void send_content_command();
  void send_quit();
  void expect(PendingReply pending);
  void record_command(std::size_t line_start);

  bool awaiting_reply() const { return pending_head_ < pending_.size(); }
  bool input_ended() const { return eof_ || timed_out_; }
  void lose_connection();
  void fail_on_malformed_reply(ReplyError error);
  // After the last awaited reply: more bytes than a closing 421 are buffered.
  bool surplus_follows(const PendingReply& pending) const;
  // A positive reply to the end of data that carries an addressing status (X.1.Y) answers
  // MAIL or RCPT, not the content: the replies are out of step.
  static bool out_of_place(const PendingReply& pending, const SmtpReply& reply);
  void fail_out_of_step(const PendingReply& pending, std::string_view evidence);
  // A reply that ends the transaction or the session (421, or an unexpected reply class).
  bool ends_session(PendingReply pending, const SmtpReply& reply);
  void fail_session(core::Failure failure, FailureScope scope, Ending ending);
  void fail_message(core::Failure failure);
  void finish_message();
  core::Failure failure_from(const SmtpReply& reply, Command command) const;
  std::string host_said(const SmtpReply& reply, Command command) const;

  ClientSessionContext context_;
  Phase phase_ = Phase::greeting;
  ReplyParser parser_;
  PeerCapabilities capabilities_;
  Transcript transcript_;
  std::size_t setup_transcript_size_ = 0;
  std::optional<core::Failure> connection_failure_;
  bool eof_ = false;
  bool timed_out_ = false;
  bool interrupted_body_ = false;  // EOF or timeout while the message content was being sent
  bool tls_active_ = false;
  bool tls_failed_ = false;
  AuthOutcome auth_outcome_ = AuthOutcome::none;
  bool protocol_error_ = false;
  std::optional<SmtpReply> auth_reply_;

  std::vector<PendingReply> pending_;
  std::size_t pending_head_ = 0;
  std::string out_;
  Wait out_wait_ = Wait::ehlo;
  bool out_handed_ = false;

  const OutboundMessage* message_ = nullptr;
  const std::string* content_ = nullptr;  // message_->data, or converted_
  std::string converted_;                 // the 7-bit conversion when one was needed
  std::string signature_;                 // DKIM-Signature fields sent before content_
  bool eight_bit_ = false;                // content_ holds 8-bit octets: BODY=8BITMIME
  bool smtputf8_ = false;                 // the message needs SMTPUTF8
  bool chunking_ = false;                 // this message goes with BDAT
  MessageResult result_;
  bool result_pending_ = false;
  std::size_t accepted_recipients_ = 0;
  bool transaction_may_be_open_ = false;  // MAIL sent, no reply to the end of data yet
  bool needs_rset_ = false;
};

}  // namespace mxrelay::mta
