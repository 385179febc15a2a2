// mta/protocol: parsing of EHLO keywords into PeerCapabilities.
#include "mta/protocol/smtp_capabilities.hpp"

#include <charconv>

namespace mxrelay::mta {

namespace {

std::string upper(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// Splits off the next space-separated word of text.
std::string_view next_word(std::string_view& text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  auto end = text.find(' ');
  auto word = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end);
  return word;
}

void add_auth_mechanisms(PeerCapabilities& caps, std::string_view params) {
  for (auto word = next_word(params); !word.empty(); word = next_word(params))
    caps.auth_mechanisms.push_back(upper(word));
}

void add_keyword(PeerCapabilities& caps, std::string_view line) {
  const std::string keyword = upper(next_word(line));
  if (keyword == "PIPELINING") {
    caps.pipelining = true;
  } else if (keyword == "SIZE") {
    caps.size_offered = true;
    auto limit = next_word(line);
    std::from_chars(limit.data(), limit.data() + limit.size(), caps.size_limit);
  } else if (keyword == "8BITMIME") {
    caps.eight_bit_mime = true;
  } else if (keyword == "SMTPUTF8") {
    caps.smtputf8 = true;
  } else if (keyword == "STARTTLS") {
    caps.starttls = true;
  } else if (keyword == "CHUNKING") {
    caps.chunking = true;
  } else if (keyword == "REQUIRETLS") {
    caps.requiretls = true;
  } else if (keyword == "DSN") {
    caps.dsn = true;
  } else if (keyword == "ENHANCEDSTATUSCODES") {
    caps.enhanced_status_codes = true;
  } else if (keyword == "AUTH") {
    add_auth_mechanisms(caps, line);
  } else if (keyword.starts_with("AUTH=")) {  // pre-RFC 4954 form still sent by some servers
    add_auth_mechanisms(caps, std::string_view(keyword).substr(5));
    add_auth_mechanisms(caps, line);
  }
}

}  // namespace

PeerCapabilities PeerCapabilities::from_ehlo_reply(const SmtpReply& reply) {
  PeerCapabilities caps;
  caps.esmtp = true;
  for (std::size_t i = 1; i < reply.lines.size(); ++i) add_keyword(caps, reply.lines[i]);
  return caps;
}

bool PeerCapabilities::accepts_size(std::uint64_t message_size) const {
  return !size_offered || size_limit == 0 || message_size <= size_limit;
}

}  // namespace mxrelay::mta
