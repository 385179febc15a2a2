// mta: line-by-line reading of DATA content with bounded memory.
#include "mta/smtp_data_reader.hpp"

#include <utility>

#include "mta/smtp_line.hpp"

namespace mxrelay::mta {

namespace {

// A "Received:" header field name, ignoring case, with the obsolete space before the colon.
bool is_received_header(std::string_view line) {
  static constexpr std::string_view kName = "received";
  if (line.size() <= kName.size()) return false;
  for (std::size_t i = 0; i < kName.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(line[i]);
    if ((c | 0x20) != static_cast<unsigned char>(kName[i])) return false;
  }
  std::size_t pos = kName.size();
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  return pos < line.size() && line[pos] == ':';
}

}  // namespace

void SmtpDataReader::start(const DataLimits& limits) {
  limits_ = limits;
  verdict_ = DataVerdict::acceptable;
  finished_ = false;
  in_headers_ = true;
  inside_line_ = false;
  hops_ = 0;
}

std::size_t SmtpDataReader::read(std::string_view input, std::string& message) {
  std::size_t consumed = 0;
  while (!finished_) {
    std::string_view rest = input.substr(consumed);
    std::size_t crlf = find_crlf(rest);
    if (crlf == std::string_view::npos) {
      if (rest.size() > limits_.max_line_length) {
        reject(DataVerdict::line_too_long, message);
        std::size_t keep = rest.back() == '\r' ? 1 : 0;
        consumed += rest.size() - keep;
        inside_line_ = true;
      }
      break;
    }
    take_line(rest.substr(0, crlf), message);
    consumed += crlf + 2;
  }
  return consumed;
}

void SmtpDataReader::take_line(std::string_view line, std::string& message) {
  if (std::exchange(inside_line_, false)) return;  // the rest of a line already dropped
  if (line == ".") {
    finished_ = true;
    return;
  }
  if (verdict_ != DataVerdict::acceptable) return;
  if (line.size() + 2 > limits_.max_line_length) return reject(DataVerdict::line_too_long, message);
  if (has_bare_line_ending_or_nul(line)) return reject(DataVerdict::bare_line_ending, message);
  if (!line.empty() && line.front() == '.') line.remove_prefix(1);
  if (in_headers_) count_header(line);
  if (hops_ > limits_.max_hops) return reject(DataVerdict::too_many_hops, message);
  if (message.size() + line.size() + 2 > limits_.max_message_size)
    return reject(DataVerdict::message_too_big, message);
  message.append(line).append("\r\n");
}

void SmtpDataReader::count_header(std::string_view line) {
  if (line.empty()) {
    in_headers_ = false;
  } else if (is_received_header(line)) {
    ++hops_;
  }
}

void SmtpDataReader::reject(DataVerdict verdict, std::string& message) {
  if (verdict_ == DataVerdict::acceptable) verdict_ = verdict;
  message.clear();
}

}  // namespace mxrelay::mta
