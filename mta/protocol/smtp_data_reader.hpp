// mta/protocol: the DATA phase of an inbound message (RFC 5321 4.1.1.4, 4.5.2): finds the one
// legitimate end of data, <CRLF>.<CRLF>, removes dot-stuffing, and judges the content as it
// streams past (MessageContentCheck) and against the message size limit.
// Once the content is judged bad nothing more is kept, so memory stays bounded; reading
// still goes on to the real end of data so the next command is found where it belongs.
// By default a bare CR or LF refuses the message (SMTP smuggling, CVE-2023-51764). For
// legacy clients that send bare LF (server.bare_newlines = "normalize"), each bare CR or LF
// ends a line as CRLF would, as Postfix does for the clients it exempts. The known
// trade-off: the normalised stream is parsed as usual, so such a client's "\n.\n" ends the
// data; only trusted clients may be exempted. NUL is refused either way.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "mta/protocol/message_content_check.hpp"

namespace mxrelay::mta {

// What a CR or LF outside a CRLF pair in message content does.
enum class BareLineEndings {
  reject,     // the message is refused (550 5.6.2)
  normalize,  // it ends the line, as CRLF would
};

class SmtpDataReader {
 public:
  // Starts reading a new message right after the DATA command's CRLF.
  void start(const DataLimits& limits, BareLineEndings bare_line_endings = BareLineEndings::reject);

  // Reads from input, appending accepted content to message. Returns the octets consumed:
  // complete lines, up to and including the end of data when it is found. An incomplete
  // line stays unconsumed for the next call, unless it is already too long, in which case
  // it is consumed and dropped (keeping a trailing CR, which may begin the CRLF).
  std::size_t read(std::string_view input, std::string& message);

  bool finished() const { return finished_; }
  // The first problem found; only `acceptable` messages may be stored.
  DataVerdict verdict() const { return verdict_; }
  // The number of the line the verdict is about (1 is the first line); 0 while acceptable.
  std::size_t refused_line() const { return refused_line_; }

 private:
  struct LineEnd {
    std::size_t offset;  // of the line ending in the text
    std::size_t length;  // octets of the line ending
  };
  // The first line ending in text; none when there is none yet (a final CR may begin a CRLF).
  std::optional<LineEnd> find_line_end(std::string_view text) const;
  void take_line(std::string_view line, std::string& message);
  // line: the number of the line refused.
  void reject(DataVerdict verdict, std::string& message, std::size_t line);

  DataLimits limits_;
  BareLineEndings bare_line_endings_ = BareLineEndings::reject;
  MessageContentCheck check_;
  DataVerdict verdict_ = DataVerdict::acceptable;
  std::size_t refused_line_ = 0;
  bool finished_ = false;
  bool inside_line_ = false;  // the next octets continue a line whose start was dropped
};

}  // namespace mxrelay::mta
