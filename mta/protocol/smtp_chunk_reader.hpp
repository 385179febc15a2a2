// mta/protocol: the BDAT phase of an inbound message (RFC 3030). Chunk octets are taken exactly as
// sent: no dot-unstuffing and no end-of-data search, the declared size alone ends a chunk.
// The content of all chunks together is still judged line by line by MessageContentCheck
// (bare CR/LF/NUL, line length, hops): without BINARYMIME the content must be CRLF text
// (RFC 3030 3, RFC 6152), and it is relayed later over DATA, where a bare LF could again
// smuggle an end of data past a sloppy next hop. A chunk whose content or size is refused
// is still read to its end and dropped, so the next command is found where it belongs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mta/protocol/message_content_check.hpp"

namespace mxrelay::mta {

class SmtpChunkReader {
 public:
  // Starts the content of a new message (the transaction's first BDAT).
  void start(const DataLimits& limits);
  // Starts one chunk of `size` octets. With `discard` the octets are read and dropped
  // without judging them (a refused BDAT command).
  void begin_chunk(std::uint64_t size, bool discard, std::string& message);

  // Takes at most the rest of the current chunk from input, appending accepted content to
  // message. Returns the octets consumed.
  std::size_t read(std::string_view input, std::string& message);
  bool chunk_complete() const { return remaining_ == 0; }

  // After the LAST chunk: judges a final line without CRLF and terminates it.
  void finish(std::string& message);
  // The first problem found in this message's content; only `acceptable` may be stored.
  DataVerdict verdict() const { return verdict_; }
  // The number of the line the verdict is about (1 is the first line); 0 while acceptable.
  std::size_t refused_line() const { return refused_line_; }

 private:
  void judge_complete_lines(std::string& message);
  // line: the number of the line refused.
  void reject(DataVerdict verdict, std::string& message, std::size_t line);

  DataLimits limits_;
  MessageContentCheck check_;
  DataVerdict verdict_ = DataVerdict::acceptable;
  std::size_t refused_line_ = 0;
  std::uint64_t remaining_ = 0;
  bool discarding_ = false;
  std::size_t line_start_ = 0;  // offset in message of the line not yet judged
};

}  // namespace mxrelay::mta
