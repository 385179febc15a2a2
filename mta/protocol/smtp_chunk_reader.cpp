// mta/protocol: exact-length reading of BDAT chunks with line judgement across chunk boundaries.
#include "mta/protocol/smtp_chunk_reader.hpp"

#include <algorithm>

#include "mta/protocol/smtp_line.hpp"

namespace mxrelay::mta {

void SmtpChunkReader::start(const DataLimits& limits) {
  limits_ = limits;
  check_.start(limits);
  verdict_ = DataVerdict::acceptable;
  refused_line_ = 0;
  remaining_ = 0;
  discarding_ = false;
  line_start_ = 0;
}

void SmtpChunkReader::begin_chunk(std::uint64_t size, bool discard, std::string& message) {
  remaining_ = size;
  discarding_ = discard;
  if (!discard &&
      size > limits_.max_message_size - std::min(message.size(), limits_.max_message_size))
    reject(DataVerdict::message_too_big, message, check_.lines_judged() + 1);
}

std::size_t SmtpChunkReader::read(std::string_view input, std::string& message) {
  std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, input.size()));
  remaining_ -= take;
  if (discarding_ || verdict_ != DataVerdict::acceptable) return take;
  message.append(input.substr(0, take));
  judge_complete_lines(message);
  return take;
}

void SmtpChunkReader::judge_complete_lines(std::string& message) {
  while (verdict_ == DataVerdict::acceptable) {
    std::string_view rest = std::string_view(message).substr(line_start_);
    std::size_t crlf = find_crlf(rest);
    if (crlf == std::string_view::npos) {
      // Without a CRLF, any LF, NUL or CR other than a final one is already bare.
      std::string_view pending = rest.substr(0, rest.size() - (rest.ends_with('\r') ? 1 : 0));
      if (has_bare_line_ending_or_nul(pending)) {
        reject(DataVerdict::bare_line_ending, message, check_.lines_judged() + 1);
      } else if (pending.size() + 2 > limits_.max_line_length) {
        reject(DataVerdict::line_too_long, message, check_.lines_judged() + 1);
      }
      return;
    }
    if (auto verdict = check_.judge(rest.substr(0, crlf)); verdict != DataVerdict::acceptable)
      return reject(verdict, message, check_.lines_judged());
    line_start_ += crlf + 2;
  }
}

void SmtpChunkReader::finish(std::string& message) {
  if (verdict_ != DataVerdict::acceptable || line_start_ == message.size()) return;
  if (auto verdict = check_.judge(std::string_view(message).substr(line_start_));
      verdict != DataVerdict::acceptable)
    return reject(verdict, message, check_.lines_judged());
  if (message.size() + 2 > limits_.max_message_size)
    return reject(DataVerdict::message_too_big, message, check_.lines_judged());
  message.append("\r\n");
  line_start_ = message.size();
}

void SmtpChunkReader::reject(DataVerdict verdict, std::string& message, std::size_t line) {
  if (verdict_ == DataVerdict::acceptable) {
    verdict_ = verdict;
    refused_line_ = line;
  }
  message.clear();
}

}  // namespace mxrelay::mta
