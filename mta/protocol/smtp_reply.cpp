// mta/protocol: SMTP reply formatting and the bounded, strict incremental reply parser.
#include "mta/protocol/smtp_reply.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/control_characters.hpp"

namespace mxrelay::mta {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Three digits, first 2..5, second 0..5 (RFC 5321 4.2.1); -1 if malformed.
int parse_code(std::string_view line) {
  if (line.size() < 3 || !is_digit(line[0]) || !is_digit(line[1]) || !is_digit(line[2])) return -1;
  if (line[0] < '2' || line[0] > '5' || line[1] > '5') return -1;
  return (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
}

// Removes a leading "X.Y.Z " from text and returns it, if text starts with one.
std::optional<core::EnhancedStatus> take_status(std::string_view& text) {
  auto status = core::EnhancedStatus::parse(text);
  if (!status) return std::nullopt;
  auto token_end = text.find(' ');
  text.remove_prefix(token_end == std::string_view::npos ? text.size() : token_end);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return status;
}

}  // namespace

std::string SmtpReply::str() const {
  std::string out = std::to_string(code);
  if (status) {
    out += ' ';
    out += status->str();
  }
  for (const auto& line : lines) {
    if (line.empty()) continue;
    out += ' ';
    out += line;
  }
  return out;
}

std::string_view describe(ReplyError error) {
  switch (error) {
    case ReplyError::line_too_long:
      return "reply line too long";
    case ReplyError::too_many_lines:
      return "too many lines in one reply";
    case ReplyError::bare_line_feed:
      return "bare LF in reply";
    case ReplyError::bare_carriage_return:
      return "bare CR in reply";
    case ReplyError::nul_byte:
      return "NUL in reply";
    case ReplyError::malformed_code:
      return "malformed reply code";
    case ReplyError::missing_separator:
      return "missing separator after reply code";
    case ReplyError::inconsistent_code:
      return "inconsistent reply codes in multi-line reply";
  }
  return "malformed reply";
}

void ReplyParser::feed(std::string_view bytes) {
  if (error_) return;
  if (line_start_ == buffer_.size()) {
    buffer_.clear();
    line_start_ = scan_from_ = 0;
  } else if (line_start_ > 0 && line_start_ >= buffer_.size() / 2) {
    buffer_.erase(0, line_start_);
    scan_from_ -= line_start_;
    line_start_ = 0;
  }
  buffer_.append(bytes);
}

ReplyParser::Result ReplyParser::next() {
  if (error_) return std::unexpected(*error_);
  for (;;) {
    auto line = take_line();
    if (!line) return fail(line.error());
    if (!*line) return std::nullopt;
    auto last = add_line(**line);
    if (!last) return fail(last.error());
    if (*last) return std::exchange(partial_, SmtpReply{});
  }
}

ReplyParser::LineResult ReplyParser::take_line() {
  const std::size_t limit = std::min(buffer_.size(), line_start_ + max_reply_line_octets);
  const void* found = scan_from_ < limit
                          ? std::memchr(buffer_.data() + scan_from_, '\n', limit - scan_from_)
                          : nullptr;
  if (!found) {
    if (limit - line_start_ >= max_reply_line_octets)
      return std::unexpected(ReplyError::line_too_long);
    scan_from_ = limit;
    return std::nullopt;
  }
  const std::size_t lf = static_cast<const char*>(found) - buffer_.data();
  std::string_view line(buffer_.data() + line_start_, lf - line_start_);
  if (line.empty() || line.back() != '\r') return std::unexpected(ReplyError::bare_line_feed);
  line.remove_suffix(1);
  if (line.find('\r') != std::string_view::npos)
    return std::unexpected(ReplyError::bare_carriage_return);
  if (line.find('\0') != std::string_view::npos) return std::unexpected(ReplyError::nul_byte);
  line_start_ = scan_from_ = lf + 1;
  return line;
}

std::expected<bool, ReplyError> ReplyParser::add_line(std::string_view line) {
  const int code = parse_code(line);
  if (code < 0) return std::unexpected(ReplyError::malformed_code);
  const bool last = line.size() == 3 || line[3] == ' ';
  if (!last && line[3] != '-') return std::unexpected(ReplyError::missing_separator);
  const bool first = partial_.lines.empty();
  if (!first && code != partial_.code) return std::unexpected(ReplyError::inconsistent_code);
  if (partial_.lines.size() == max_reply_lines) return std::unexpected(ReplyError::too_many_lines);

  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view{};
  if (first) {
    partial_.code = code;
    partial_.status = take_status(text);
  } else if (partial_.status) {
    take_status(text);
  }
  // The text goes into transcripts, failure reasons, logs and reports printed on a terminal:
  // a control character (an ANSI escape, a TAB) from the server is kept visible as \xNN.
  partial_.lines.push_back(core::escape_control_characters(text));
  return last;
}

ReplyParser::Result ReplyParser::fail(ReplyError error) {
  error_ = error;
  std::string().swap(buffer_);
  line_start_ = scan_from_ = 0;
  partial_ = SmtpReply{};
  return std::unexpected(error);
}

}  // namespace mxrelay::mta
