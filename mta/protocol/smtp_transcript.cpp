// mta/protocol: recording and rendering of SMTP transcripts.
#include "mta/protocol/smtp_transcript.hpp"

namespace mxrelay::mta {

void Transcript::add(Direction direction, std::string_view text) {
  spans_.push_back({direction, text_.size(), text.size()});
  text_.append(text);
}

void Transcript::add_reply(const SmtpReply& reply) {
  const std::string code = std::to_string(reply.code);
  const std::string status = reply.status ? reply.status->str() : std::string();
  for (std::size_t i = 0; i < reply.lines.size(); ++i) {
    const std::size_t offset = text_.size();
    text_ += code;
    text_ += i + 1 < reply.lines.size() ? '-' : ' ';
    if (!status.empty()) {
      text_ += status;
      if (!reply.lines[i].empty()) text_ += ' ';
    }
    text_ += reply.lines[i];
    spans_.push_back({Direction::server, offset, text_.size() - offset});
  }
}

Transcript::Entry Transcript::operator[](std::size_t index) const {
  const Span& span = spans_[index];
  return {span.direction, std::string_view(text_).substr(span.offset, span.length)};
}

void Transcript::truncate(std::size_t index) {
  if (index >= spans_.size()) return;
  text_.resize(spans_[index].offset);
  spans_.resize(index);
}

std::string Transcript::str() const {
  std::string out;
  out.reserve(text_.size() + spans_.size() * 4);
  for (std::size_t i = 0; i < spans_.size(); ++i) {
    const Entry entry = (*this)[i];
    out += entry.direction == Direction::client ? "C: " : "S: ";
    out += entry.text;
    out += '\n';
  }
  return out;
}

}  // namespace mxrelay::mta
