// mta: the inbound SMTP protocol as a pure state machine (RFC 5321), with no I/O.
// The driver feeds received bytes in and performs the steps the session asks for:
// send replies, store a message, read more, or close. Pipelined commands are processed
// in order; while a message is being stored no further input is processed.
// Only CRLF ends a line; bare CR/LF and NUL are refused in commands and in message content.
// Every reply carries an RFC 3463 enhanced status code, except the banner, the replies to
// EHLO/HELO and the 354 (as RFC 2034 3 allows).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.hpp"
#include "core/smtp_status.hpp"
#include "mta/smtp_command.hpp"
#include "mta/smtp_data_reader.hpp"

namespace mxrelay::mta {

// The MAIL FROM BODY= parameter (RFC 6152).
enum class BodyType { unspecified, seven_bit, eight_bit_mime };

// An envelope and body accepted by the protocol, waiting to be made durable.
struct ReceivedMessage {
  std::string helo;                     // the name the client gave in EHLO/HELO
  std::string sender;                   // reverse path without brackets; "" for <>
  std::vector<std::string> recipients;  // forward paths without brackets, as written
  std::string data;  // the message as CRLF lines, dot-unstuffed, without the final "."
  BodyType body = BodyType::unspecified;
  bool smtputf8 = false;  // MAIL FROM carried SMTPUTF8 (RFC 6531)
};

struct ServerLimits {
  std::size_t max_message_size = 50 * 1024 * 1024;
  std::size_t max_recipients = 1000;
  std::size_t max_hops = 50;           // Received: headers allowed; more is a mail loop
  std::size_t max_errors = 20;         // rejected commands before 421 and close
  std::size_t max_command_line = 512;  // octets, CRLF included (RFC 5321 4.5.3.1.4)
  std::size_t max_text_line = 1000;    // octets, CRLF included (RFC 5321 4.5.3.1.6)
};

struct ServerSessionContext {
  std::string hostname;        // our name, for the banner and replies
  core::IpAddress peer;        // the client's address
  bool relay_allowed = false;  // the client is in server.relay_networks
  ServerLimits limits;
};

class SmtpServerSession {
 public:
  struct Step {
    enum class Kind {
      send,           // write `bytes` to the client, then call next() again
      need_input,     // read more bytes and call on_input()
      store_message,  // make message() durable, then call on_stored() or on_store_failed()
      close,          // write `bytes` (may be empty) and close the connection
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
  Step next();

  // Valid after a store_message step until on_stored()/on_store_failed().
  const ReceivedMessage& message() const;
  void on_stored(std::string_view queue_id);
  void on_store_failed(const core::Failure& failure);

  // Received octets not processed yet (for tests and metrics).
  std::size_t buffered_bytes() const { return input_.size() - input_read_; }

 private:
  enum class Phase { commands, data, storing, closing, closed };
  enum class Greeted { no, helo, ehlo };

  struct Reply {
    int code;
    core::EnhancedStatus status;
    std::string_view text;
  };

  std::string_view unread() const;
  void process_input();
  bool read_command();
  bool read_data();
  void finish_data();
  void execute(std::string_view line);
  void execute(const CommandLine& command);
  void on_ehlo(std::string_view argument);
  void on_helo(std::string_view argument);
  void on_mail(std::string_view argument);
  void on_rcpt(std::string_view argument);
  void on_data(std::string_view argument);
  void on_rset(std::string_view argument);
  void on_quit(std::string_view argument);
  void on_vrfy(std::string_view argument);
  std::optional<Reply> apply_mail_parameters(const std::vector<EsmtpParameter>& parameters);
  void reply(const Reply& reply);
  void reject(const Reply& reply);
  void reset_transaction();
  std::string take_output();

  ServerSessionContext context_;
  std::string ehlo_reply_;
  Phase phase_ = Phase::commands;
  Greeted greeted_ = Greeted::no;
  std::string input_;
  std::size_t input_read_ = 0;       // octets of input_ already processed
  bool dropping_long_line_ = false;  // the command line in progress is over the limit
  std::string output_;
  std::size_t errors_ = 0;
  bool in_transaction_ = false;  // MAIL FROM was accepted
  std::optional<std::size_t> declared_size_;
  ReceivedMessage message_;
  SmtpDataReader data_reader_;
};

}  // namespace mxrelay::mta
