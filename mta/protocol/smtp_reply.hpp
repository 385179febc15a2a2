// mta/protocol: a reply from a remote SMTP server (RFC 5321 4.2) parsed once into code, enhanced
// status (RFC 2034/3463) and text lines, and the incremental parser that builds replies from
// received bytes. The parser is strict and bounded: hostile input (over-long lines, endless
// multi-line replies, garbage) yields a ReplyError value, never unbounded memory.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_status.hpp"

namespace mxrelay::mta {

struct SmtpReply {
  int code = 0;                                // 200..599
  std::optional<core::EnhancedStatus> status;  // from the first line, if the server gave one
  std::vector<std::string> lines;  // text of each line, code and status stripped, control
                                   // characters escaped (\xNN)

  bool is_positive() const { return code >= 200 && code < 300; }
  bool is_intermediate() const { return code >= 300 && code < 400; }
  bool is_transient() const { return code >= 400 && code < 500; }
  bool is_permanent() const { return code >= 500 && code < 600; }
  // "421 4.7.0 first line second line": code, status and the lines joined by spaces.
  std::string str() const;
};

enum class ReplyError {
  line_too_long,         // no CRLF within max_reply_line_octets
  too_many_lines,        // more than max_reply_lines lines in one reply
  bare_line_feed,        // LF not preceded by CR
  bare_carriage_return,  // CR not followed by LF
  nul_byte,              // NUL inside a line
  malformed_code,        // not three digits in 200..599
  missing_separator,     // fourth octet neither SP nor "-"
  inconsistent_code,     // a continuation line with another code than the first line
};

std::string_view describe(ReplyError error);

// A line of up to 1000 octets is legal (RFC 5321 4.5.3.1.6); we tolerate twice that.
inline constexpr std::size_t max_reply_line_octets = 2048;  // including CRLF
inline constexpr std::size_t max_reply_lines = 200;
// A stored line's text has its control characters escaped as \xNN: up to four octets each.
inline constexpr std::size_t max_reply_text_octets = 4 * max_reply_line_octets;

// Incremental parser: feed() bytes as they arrive, then call next() until it returns no reply.
// Line ends are CRLF only (RFC 5321 2.3.8): a bare LF is an error, not a line end. Real
// servers send CRLF; accepting LF as well would let a reply mean different things to us and
// to other parsers on the path, and the error ends the attempt with a temporary failure.
// After an error the parser stays failed and discards all further input.
class ReplyParser {
 public:
  using Result = std::expected<std::optional<SmtpReply>, ReplyError>;

  void feed(std::string_view bytes);
  // A complete reply, std::nullopt when more input is needed, or the error.
  Result next();
  // Bytes received but not yet consumed (the partial line and replies not yet taken).
  std::size_t buffered_bytes() const { return buffer_.size() - line_start_; }
  bool failed() const { return error_.has_value(); }

 private:
  using LineResult = std::expected<std::optional<std::string_view>, ReplyError>;
  LineResult take_line();
  // Adds one line to the reply in progress; true when it was the last line.
  std::expected<bool, ReplyError> add_line(std::string_view line);
  Result fail(ReplyError error);

  std::string buffer_;
  std::size_t line_start_ = 0;  // first unconsumed octet
  std::size_t scan_from_ = 0;   // where the search for LF resumes
  SmtpReply partial_;
  std::optional<ReplyError> error_;
};

}  // namespace mxrelay::mta
