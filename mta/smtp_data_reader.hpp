// mta: the DATA phase of an inbound message (RFC 5321 4.1.1.4, 4.5.2): finds the one
// legitimate end of data, <CRLF>.<CRLF>, removes dot-stuffing, and judges the content as it
// streams past (MessageContentCheck) and against the message size limit.
// Once the content is judged bad nothing more is kept, so memory stays bounded; reading
// still goes on to the real end of data so the next command is found where it belongs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "mta/message_content_check.hpp"

namespace mxrelay::mta {

class SmtpDataReader {
 public:
  // Starts reading a new message right after the DATA command's CRLF.
  void start(const DataLimits& limits);

  // Reads from input, appending accepted content to message. Returns the octets consumed:
  // complete lines, up to and including the end of data when it is found. An incomplete
  // line stays unconsumed for the next call, unless it is already too long, in which case
  // it is consumed and dropped (keeping a trailing CR, which may begin the CRLF).
  std::size_t read(std::string_view input, std::string& message);

  bool finished() const { return finished_; }
  // The first problem found; only `acceptable` messages may be stored.
  DataVerdict verdict() const { return verdict_; }

 private:
  void take_line(std::string_view line, std::string& message);
  void reject(DataVerdict verdict, std::string& message);

  DataLimits limits_;
  MessageContentCheck check_;
  DataVerdict verdict_ = DataVerdict::acceptable;
  bool finished_ = false;
  bool inside_line_ = false;  // the next octets continue a line whose start was dropped
};

}  // namespace mxrelay::mta
