// mta: the DATA phase of an inbound message (RFC 5321 4.1.1.4, 4.5.2): finds the one
// legitimate end of data, <CRLF>.<CRLF>, removes dot-stuffing, and judges the content as it
// streams past: bare CR, bare LF or NUL (the SMTP smuggling class), text lines over the
// RFC limit, the message size limit and Received: hops (loop detection, RFC 5321 6.3).
// Once the content is judged bad nothing more is kept, so memory stays bounded; reading
// still goes on to the real end of data so the next command is found where it belongs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mxrelay::mta {

struct DataLimits {
  std::size_t max_message_size = 0;  // octets of dot-unstuffed content, CRLFs included
  std::size_t max_line_length = 0;   // octets of one text line, its CRLF included
  std::size_t max_hops = 0;          // Received: header fields allowed in the header section
};

enum class DataVerdict {
  acceptable,        // no problem seen (so far)
  bare_line_ending,  // a CR or LF outside a CRLF pair, or a NUL
  line_too_long,     // a text line over max_line_length
  message_too_big,   // the content over max_message_size
  too_many_hops,     // more than max_hops Received: header fields
};

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
  void count_header(std::string_view line);
  void reject(DataVerdict verdict, std::string& message);

  DataLimits limits_;
  DataVerdict verdict_ = DataVerdict::acceptable;
  bool finished_ = false;
  bool in_headers_ = true;
  bool inside_line_ = false;  // the next octets continue a line whose start was dropped
  std::size_t hops_ = 0;
};

}  // namespace mxrelay::mta
