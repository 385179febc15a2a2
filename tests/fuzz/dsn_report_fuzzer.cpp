// tests/fuzz: the delivery status notification (queue/dsn_report) built from hostile parts:
// the remote server's name and reply as it sent them, and envelope fields as a client wrote
// them (never with CR, LF or NUL: the inbound session refuses those). The input holds the
// parts separated by NUL; its first octet picks the action and RET. mxrelay parses no DSNs
// it receives (they pass through as mail); the report it writes is where hostile text lands.
// Properties: the report is CRLF lines of at most 998 octets, its own header section has
// only the fields a benign report has, and no control character reaches the parts before
// the returned original.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "queue/dsn_report.hpp"

namespace {

using mxrelay::fuzz::require;
using namespace mxrelay::queue;

const DsnContext kContext{.reporting_mta = "relay.fuzz.example",
                          .postmaster = "postmaster@fuzz.example",
                          .now_unix = 1764081322,
                          .boundary = "FUZZ.1764081322/relay.fuzz.example",
                          .message_id = "20251125.FUZZ@relay.fuzz.example"};
const std::string kOriginal = "From: a@fuzz.example\r\nSubject: hi\r\n\r\nbody\r\n";

// As the inbound session guarantees for envelope fields.
std::string envelope_field(std::string text) {
  for (char& c : text)
    if (c == '\r' || c == '\n') c = '_';
  return text;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find("\r\n");
    require(end != std::string_view::npos, "a report line ends in CRLF");
    lines.push_back(text.substr(0, end));
    text.remove_prefix(end + 2);
  }
  return lines;
}

std::string_view field_name(std::string_view line) {
  return line.substr(0, line.find(':'));
}

// The header field names of a report on benign input.
std::set<std::string, std::less<>> benign_field_names() {
  Envelope envelope;
  envelope.sender = "a@fuzz.example";
  envelope.recipients = {"b@fuzz.example"};
  DsnRecipient recipient;
  recipient.final_recipient = "b@fuzz.example";
  recipient.status = {5, 1, 1};
  recipient.remote_mta = "mx.fuzz.example";
  recipient.diagnostic = "550 5.1.1 no";
  std::set<std::string, std::less<>> names;
  const std::string report = render_dsn(kContext, envelope, kOriginal, {&recipient, 1});
  for (const auto line : lines_of(report)) {
    if (line.empty()) break;
    if (line[0] != ' ' && line[0] != '\t') names.emplace(field_name(line));
  }
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static const auto benign_names = benign_field_names();
  const std::uint8_t flags = data[0];
  auto parts = mxrelay::fuzz::split_at_nul(mxrelay::fuzz::as_text(data + 1, size - 1));
  parts.resize(std::max<std::size_t>(parts.size(), 7));

  Envelope envelope;
  envelope.sender = envelope_field(parts[0]);
  envelope.recipients = {envelope_field(parts[1])};
  envelope.envid = envelope_field(parts[2]);
  envelope.ret = (flags & 4) != 0 ? DsnRet::full : DsnRet::unspecified;
  DsnRecipient recipient;
  recipient.final_recipient = envelope.recipients[0];
  recipient.action = static_cast<DsnAction>(flags % 3);
  recipient.status = {5, 1, 1};
  recipient.remote_mta = parts[4];
  recipient.diagnostic = parts[5];
  recipient.last_attempt_unix = 1764081000;
  recipient.will_retry_until_unix = 1764500000;
  if (!parts[3].empty())
    recipient.original_recipient = OriginalRecipient{"rfc822", envelope_field(parts[3])};
  const std::string_view original =
      mxrelay::fuzz::canonical_message(parts[6]) ? std::string_view(parts[6]) : kOriginal;

  const std::string report = render_dsn(kContext, envelope, original, {&recipient, 1});
  const auto lines = lines_of(report);
  bool in_header = true;
  bool in_original = false;
  for (const auto line : lines) {
    require(line.size() <= 998, "a report line keeps 998 octets");
    if (in_header && line.empty()) in_header = false;
    if (in_header && line[0] != ' ' && line[0] != '\t')
      require(benign_names.contains(field_name(line)),
              "the report's header holds only the fields of a benign report");
    if (line.starts_with("Content-Type: text/rfc822-headers") ||
        line.starts_with("Content-Type: message/rfc822"))
      in_original = true;
    if (in_original) continue;
    for (unsigned char c : line)
      require(c >= 0x20 ? c != 0x7f : c == '\t',
              "no control character reaches the report before the original");
  }
  return 0;
}
