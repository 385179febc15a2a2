// mta/protocol: line judgement of inbound message content.
#include "mta/protocol/message_content_check.hpp"

#include "mta/protocol/smtp_line.hpp"

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

void MessageContentCheck::start(const DataLimits& limits) {
  limits_ = limits;
  in_headers_ = true;
  hops_ = 0;
  lines_ = 0;
}

DataVerdict MessageContentCheck::judge(std::string_view line) {
  ++lines_;
  if (line.size() + 2 > limits_.max_line_length) return DataVerdict::line_too_long;
  if (has_bare_line_ending_or_nul(line)) return DataVerdict::bare_line_ending;
  if (in_headers_) {
    if (line.empty()) {
      in_headers_ = false;
    } else if (is_received_header(line) && ++hops_ > limits_.max_hops) {
      return DataVerdict::too_many_hops;
    }
  }
  return DataVerdict::acceptable;
}

}  // namespace mxrelay::mta
