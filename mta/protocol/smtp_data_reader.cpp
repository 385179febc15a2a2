// mta/protocol: line-by-line reading of DATA content with bounded memory.
#include "mta/protocol/smtp_data_reader.hpp"

#include <utility>

#include "mta/protocol/smtp_line.hpp"

namespace mxrelay::mta {

void SmtpDataReader::start(const DataLimits& limits, BareLineEndings bare_line_endings) {
  limits_ = limits;
  bare_line_endings_ = bare_line_endings;
  check_.start(limits);
  verdict_ = DataVerdict::acceptable;
  refused_line_ = 0;
  finished_ = false;
  inside_line_ = false;
}

std::size_t SmtpDataReader::read(std::string_view input, std::string& message) {
  std::size_t consumed = 0;
  while (!finished_) {
    std::string_view rest = input.substr(consumed);
    auto line_end = find_line_end(rest);
    if (!line_end) {
      if (rest.size() > limits_.max_line_length) {
        reject(DataVerdict::line_too_long, message, check_.lines_judged() + 1);
        std::size_t keep = rest.back() == '\r' ? 1 : 0;
        consumed += rest.size() - keep;
        inside_line_ = true;
      }
      break;
    }
    take_line(rest.substr(0, line_end->offset), message);
    consumed += line_end->offset + line_end->length;
  }
  return consumed;
}

std::optional<SmtpDataReader::LineEnd> SmtpDataReader::find_line_end(std::string_view text) const {
  if (bare_line_endings_ == BareLineEndings::reject) {
    std::size_t crlf = find_crlf(text);
    if (crlf == std::string_view::npos) return std::nullopt;
    return LineEnd{crlf, 2};
  }
  std::size_t end = text.find_first_of("\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  if (text[end] == '\n') return LineEnd{end, 1};
  if (end + 1 == text.size()) return std::nullopt;
  return LineEnd{end, text[end + 1] == '\n' ? std::size_t{2} : std::size_t{1}};
}

void SmtpDataReader::take_line(std::string_view line, std::string& message) {
  if (std::exchange(inside_line_, false)) return;  // the rest of a line already dropped
  if (line == ".") {
    finished_ = true;
    return;
  }
  if (verdict_ != DataVerdict::acceptable) return;
  if (auto verdict = check_.judge(line); verdict != DataVerdict::acceptable)
    return reject(verdict, message, check_.lines_judged());
  if (!line.empty() && line.front() == '.') line.remove_prefix(1);
  if (message.size() + line.size() + 2 > limits_.max_message_size)
    return reject(DataVerdict::message_too_big, message, check_.lines_judged());
  message.append(line).append("\r\n");
}

void SmtpDataReader::reject(DataVerdict verdict, std::string& message, std::size_t line) {
  if (verdict_ == DataVerdict::acceptable) {
    verdict_ = verdict;
    refused_line_ = line;
  }
  message.clear();
}

}  // namespace mxrelay::mta
