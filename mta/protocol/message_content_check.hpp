// mta/protocol: the judgement of inbound message content line by line, shared by DATA and BDAT:
// bare CR, bare LF or NUL (the SMTP smuggling class), text lines over the RFC 5321 limit,
// and Received: hops in the header section (loop detection, RFC 5321 6.3). Pure.
#pragma once

#include <cstddef>
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

class MessageContentCheck {
 public:
  void start(const DataLimits& limits);
  // line: one text line as received, without its CRLF. Tracks the header section.
  DataVerdict judge(std::string_view line);
  // Lines judged so far: the number of the line a verdict is about (1 is the first line).
  std::size_t lines_judged() const { return lines_; }

 private:
  DataLimits limits_;
  bool in_headers_ = true;
  std::size_t hops_ = 0;
  std::size_t lines_ = 0;
};

}  // namespace mxrelay::mta
