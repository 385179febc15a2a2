// mta/protocol: the inbound SMTP protocol as a pure state machine (RFC 5321), with no I/O.
// The driver feeds received bytes in and performs the steps the session asks for:
// send replies, store a message, start TLS, verify credentials, read more, or close.
// Pipelined commands are processed in order; while a step is pending (storing, TLS
// handshake, credential check) no further input is processed.
// Only CRLF ends a line; bare CR/LF and NUL are refused in commands and in message content,
// whether it came with DATA or with BDAT (RFC 3030; see smtp_chunk_reader.hpp). Only for a
// client the context exempts (normalize_bare_newlines) does a bare CR or LF in message
// content end a line as CRLF would (see smtp_data_reader.hpp for the trade-off).
// STARTTLS (RFC 3207) discards every octet received after the command line (CVE-2011-0411)
// and forgets the EHLO. AUTH PLAIN/LOGIN (RFC 4954) is offered only under TLS; a successful
// AUTH allows relaying. DSN parameters (RFC 3461) are validated and kept per transaction.
// Every reply carries an RFC 3463 enhanced status code, except the banner, the replies to
// EHLO/HELO, the 354 and the 334 challenges (as RFC 2034 3 and RFC 4954 allow).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/ip_address.hpp"
#include "core/smtp_status.hpp"
#include "mta/protocol/dsn_parameter_syntax.hpp"
#include "mta/protocol/sasl_exchange.hpp"
#include "mta/protocol/smtp_chunk_reader.hpp"
#include "mta/protocol/smtp_command.hpp"
#include "mta/protocol/smtp_data_reader.hpp"

namespace mxrelay::mta {

// The MAIL FROM BODY= parameter (RFC 6152).
enum class BodyType { unspecified, seven_bit, eight_bit_mime };

// An envelope and body accepted by the protocol, waiting to be made durable.
struct ReceivedMessage {
  std::string helo;                                // the name the client gave in EHLO/HELO
  std::string sender;                              // reverse path without brackets; "" for <>
  std::vector<std::string> recipients;             // forward paths without brackets, as written
  std::vector<queue::RecipientDsn> recipient_dsn;  // NOTIFY/ORCPT, one per entry of recipients
  MessageDsn dsn;                                  // RET/ENVID
  // The message as CRLF lines: dot-unstuffed after DATA, exactly as sent after BDAT.
  std::string data;
  BodyType body = BodyType::unspecified;
  bool smtputf8 = false;     // MAIL FROM carried SMTPUTF8 (RFC 6531)
  bool require_tls = false;  // MAIL FROM carried REQUIRETLS (RFC 8689; accepted only over TLS)
};

struct ServerLimits {
  std::size_t max_message_size = 50 * 1024 * 1024;
  std::size_t max_recipients = 1000;
  std::size_t max_hops = 50;           // Received: headers allowed; more is a mail loop
  std::size_t max_errors = 20;         // rejected commands before 421 and close
  std::size_t max_command_line = 512;  // octets, CRLF included (RFC 5321 4.5.3.1.4)
  std::size_t max_text_line = 1000;    // octets, CRLF included (RFC 5321 4.5.3.1.6)
  std::size_t max_auth_line = 12288;   // octets of one AUTH response line (RFC 4954 4)
};

struct ServerSessionContext {
  std::string hostname;         // our name, for the banner and replies
  core::IpAddress peer;         // the client's address
  bool relay_allowed = false;   // the client is in server.relay_networks
  bool tls_available = false;   // the driver can start TLS: STARTTLS is offered
  bool require_tls = false;     // MAIL is refused before STARTTLS (530 5.7.0)
  bool auth_available = false;  // the driver can verify credentials: AUTH is offered under TLS
  // server.bare_newlines = "normalize" and the client is in server.bare_newlines_from: bare
  // CR and LF in DATA and BDAT content become CRLF instead of refusing the message.
  bool normalize_bare_newlines = false;
  ServerLimits limits;
  // Local policy for an otherwise acceptable recipient (e.g. a transport entry with
  // action = "reject"): a Failure refuses it at RCPT time with that code and reason.
  std::function<std::optional<core::Failure>(std::string_view recipient)> recipient_policy;
};

// A command the session refused (a 4xx or 5xx reply), for the driver's log: what the client
// sent (AUTH with its mechanism only, never the credentials) and the reply it got.
struct Rejection {
  std::string command;                // "RCPT TO:<a@b.example>", "AUTH PLAIN", "end of data", ...
  std::string reply;                  // "554 5.7.1 Relay access denied"
  std::optional<std::string> sender;  // the transaction's reverse path, once MAIL was accepted
};

// What the driver learnt when it checked credentials.
enum class CredentialCheck {
  accepted,
  rejected,
  locked_out,  // too many recent failures from this client: 421 and close
};

class SmtpServerSession {
 public:
  struct Step {
    enum class Kind {
      send,                // write `bytes` to the client, then call next() again
      need_input,          // read more bytes and call on_input()
      store_message,       // make message() durable, then call on_stored() or on_store_failed()
      start_tls,           // write `bytes`, run the TLS server handshake, then call
                           // on_tls_started(), or on_eof() when it failed
      verify_credentials,  // check credentials(), then call on_credentials_checked()
      close,               // write `bytes` (may be empty) and close the connection
    };
    Kind kind = Kind::need_input;
    std::string bytes;
  };

  explicit SmtpServerSession(ServerSessionContext context);

  // The 220 banner; the first thing the driver sends.
  std::string greeting() const;
  // Appends received bytes to the session's input buffer. Call it after a need_input step;
  // next() consumes the buffer, so it holds at most one partial line plus the last input.
  void on_input(std::string_view bytes);
  // The client closed its side or the connection failed.
  void on_eof();
  // No input within the server timeout: the session answers 421 and closes.
  void on_timeout();
  // Must not be called again after a start_tls or verify_credentials step until that step's
  // outcome has been reported (std::logic_error).
  Step next();

  // Valid after a store_message step until on_stored()/on_store_failed().
  const ReceivedMessage& message() const;
  void on_stored(std::string_view queue_id);
  void on_store_failed(const core::Failure& failure);

  // The handshake after a start_tls step succeeded: the client must EHLO again.
  void on_tls_started();
  bool tls_active() const { return tls_active_; }

  // Valid after a verify_credentials step until on_credentials_checked().
  const SaslCredentials& credentials() const { return credentials_; }
  void on_credentials_checked(CredentialCheck check);
  // The user a successful AUTH named; "" when not authenticated.
  const std::string& authenticated_user() const { return authenticated_user_; }

  // The refusals since the last call, oldest first.
  std::vector<Rejection> take_rejections() { return std::exchange(rejections_, {}); }

  // Received octets not processed yet (for tests and metrics).
  std::size_t buffered_bytes() const { return input_.size() - input_read_; }
  // For the driver's deadlines, after a need_input step: part of a command line (or of an
  // AUTH response) has arrived; message content (DATA, or BDAT until LAST) is arriving.
  bool command_in_progress() const {
    return (phase_ == Phase::commands || phase_ == Phase::auth_response) &&
           (buffered_bytes() > 0 || dropping_long_line_);
  }
  bool receiving_message() const {
    return phase_ == Phase::data || phase_ == Phase::chunk || chunking_;
  }

 private:
  enum class Phase {
    commands,
    auth_response,  // the next line answers a 334 challenge
    data,
    chunk,
    storing,
    tls_requested,  // STARTTLS answered; the start_tls step is next
    tls_handshake,  // waiting for on_tls_started()
    verify_requested,
    verifying,  // waiting for on_credentials_checked()
    closing,
    closed,
  };
  enum class Greeted { no, helo, ehlo };

  struct Reply {
    int code;
    core::EnhancedStatus status;
    std::string_view text;
  };

  // The reply's text may be built here (the line number): it lives in refusal_text_.
  Reply content_refusal(DataVerdict verdict, std::size_t line);
  static Reply parameter_refusal(DsnError error, std::string_view keyword);

  std::string_view unread() const;
  void process_input();
  bool read_command();
  bool read_data();
  bool read_chunk();
  void read_normalized_chunk(std::string_view octets);
  void finish_data();
  void finish_chunk();
  void execute(std::string_view line);
  void execute(const CommandLine& command);
  void on_ehlo(std::string_view argument);
  void on_helo(std::string_view argument);
  void on_mail(std::string_view argument);
  void on_rcpt(std::string_view argument);
  void on_data(std::string_view argument);
  void on_bdat(std::string_view argument);
  void on_rset(std::string_view argument);
  void on_quit(std::string_view argument);
  void on_vrfy(std::string_view argument);
  void on_starttls(std::string_view argument);
  void on_auth(std::string_view argument);
  void on_auth_response(std::string_view line);
  void apply(SaslOutcome outcome);
  std::optional<Reply> mail_refusal() const;
  std::optional<Reply> chunk_refusal() const;
  std::optional<Reply> auth_refusal() const;
  std::optional<Reply> apply_mail_parameters(const std::vector<EsmtpParameter>& parameters);
  std::optional<Reply> apply_rcpt_parameters(const std::vector<EsmtpParameter>& parameters,
                                             queue::RecipientDsn& dsn) const;
  void append_ehlo_reply();
  void reply(const Reply& reply);
  void reject(const Reply& reply);
  void reset_transaction();
  std::string take_output();

  ServerSessionContext context_;
  std::string refusal_text_;  // backs a built reply text until it is written
  std::string command_;       // what the reply being written answers, as it is logged
  std::vector<Rejection> rejections_;
  Phase phase_ = Phase::commands;
  Greeted greeted_ = Greeted::no;
  std::string input_;
  std::size_t input_read_ = 0;       // octets of input_ already processed
  bool dropping_long_line_ = false;  // the command line in progress is over the limit
  std::string output_;
  std::size_t errors_ = 0;
  bool in_transaction_ = false;  // MAIL FROM was accepted
  bool chunking_ = false;        // BDAT has begun this transaction's content
  std::optional<std::size_t> declared_size_;
  ReceivedMessage message_;
  SmtpDataReader data_reader_;
  SmtpChunkReader chunk_reader_;
  std::optional<Reply> chunk_refusal_;  // the BDAT being read is refused: reply after it
  std::uint64_t chunk_size_ = 0;
  std::uint64_t chunk_remaining_ = 0;  // octets of the chunk not read yet
  bool chunk_last_ = false;
  bool chunk_pending_cr_ = false;  // normalising: the last octet read was a CR
  bool tls_active_ = false;
  SaslExchange sasl_;
  SaslCredentials credentials_;
  std::string authenticated_user_;
};

}  // namespace mxrelay::mta
