// queue: rendering of RFC 3464 delivery status notifications (multipart/report, RFC 6522).
#include "dsn_report.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "core/rfc5322_date.hpp"

namespace mxrelay::queue {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kPreferredWidth = 78;
constexpr std::size_t kLongestWord = 900;  // a longer word is cut: lines stay below 998
constexpr std::size_t kLongestLine = 998;  // RFC 5322 2.1.1, without CRLF

// Remote text as one printable ASCII line: controls (CR, LF, TAB, NUL...) become spaces,
// other bytes '?', runs of spaces collapse, no leading or trailing space.
std::string sanitise(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    char printable = c < 0x20 || c == 0x7f ? ' ' : c > 0x7f ? '?' : static_cast<char>(c);
    if (printable == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += printable;
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Words of sanitised text, each at most kLongestWord octets.
std::vector<std::string_view> words_of(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    auto space = text.find(' ');
    auto word = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    for (; word.size() > kLongestWord; word.remove_prefix(kLongestWord))
      out.push_back(word.substr(0, kLongestWord));
    if (!word.empty()) out.push_back(word);
  }
  return out;
}

// Breaks sanitised text at spaces into CRLF-terminated lines of about kPreferredWidth
// octets; continuation lines start with indent (" " folds a header field).
std::string wrap(std::string_view text, std::string_view indent) {
  std::string out;
  std::size_t line_length = 0;
  bool line_has_word = false;
  for (auto word : words_of(text)) {
    if (line_has_word && line_length + 1 + word.size() > kPreferredWidth) {
      out += kCrlf;
      out += indent;
      line_length = indent.size();
      line_has_word = false;
    }
    if (line_has_word) {
      out += ' ';
      ++line_length;
    }
    out += word;
    line_length += word.size();
    line_has_word = true;
  }
  out += kCrlf;
  return out;
}

void add_header(std::string& out, std::string_view name, std::string_view value) {
  out += wrap(std::string(name) + ": " + sanitise(value), " ");
}

bool any_with(std::span<const DsnRecipient> recipients, DsnAction action) {
  return std::ranges::any_of(recipients, [&](const auto& r) { return r.action == action; });
}

std::string_view subject_for(std::span<const DsnRecipient> recipients) {
  if (any_with(recipients, DsnAction::failed)) return "Undelivered Mail Returned to Sender";
  if (any_with(recipients, DsnAction::delayed)) return "Delayed Mail (still being retried)";
  return "Successful Mail Delivery Report";
}

// The stored message with every line ending in CRLF (a bare CR or LF becomes CRLF) and
// lines longer than the RFC 5322 limit split, so the report is always well formed.
std::string normalise_lines(std::string_view message) {
  std::string out;
  out.reserve(message.size() + message.size() / 64);
  std::size_t line_length = 0;
  for (std::size_t i = 0; i < message.size(); ++i) {
    char c = message[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < message.size() && message[i + 1] == '\n') ++i;
      out += kCrlf;
      line_length = 0;
      continue;
    }
    if (line_length == kLongestLine) {
      out += kCrlf;
      line_length = 0;
    }
    out += c;
    ++line_length;
  }
  if (line_length > 0) out += kCrlf;
  return out;
}

// The header section of a normalised message, each field line with its CRLF.
std::string_view header_section(std::string_view message) {
  if (message.starts_with(kCrlf)) return {};
  auto end = message.find("\r\n\r\n");
  return end == std::string_view::npos ? message : message.substr(0, end + 2);
}

bool has_8bit(std::string_view text) {
  return std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) > 0x7f; });
}

// The requested boundary restricted to RFC 2046 bchars (without space), made longer
// until no line of the content can be mistaken for it.
std::string unique_boundary(std::string_view requested, std::string_view content) {
  constexpr std::string_view kSpecialBchars = "'()+_,-./:=?";
  std::string boundary;
  for (char c : requested.substr(0, 60))
    if (std::isalnum(static_cast<unsigned char>(c)) || kSpecialBchars.contains(c)) boundary += c;
  if (boundary.empty()) boundary = "mxrelay-report";
  while (content.find("--" + boundary) != std::string_view::npos) boundary += "-x";
  return boundary;
}

std::string angle(std::string_view address) {
  return "<" + sanitise(address) + ">";
}

std::string recipient_explanation(const DsnRecipient& r) {
  std::string text = angle(r.final_recipient) + ":";
  if (!r.remote_mta.empty() && !r.diagnostic.empty())
    text += " host " + r.remote_mta + " said: " + r.diagnostic;
  else if (!r.diagnostic.empty())
    text += " " + r.diagnostic;
  else
    text += " status " + r.status.str();
  if (r.action == DsnAction::delayed && r.will_retry_until_unix)
    text += " (will keep trying until " + core::rfc5322_date(*r.will_retry_until_unix) + ")";
  return wrap(sanitise(text), "    ");
}

std::string_view section_intro(DsnAction action) {
  switch (action) {
    case DsnAction::failed:
      return "Your message could not be delivered to the following recipients. This is "
             "a permanent error; the mail system has given up on them.";
    case DsnAction::delayed:
      return "Delivery to the following recipients has been delayed. The mail system "
             "keeps trying; you do not need to send the message again.";
    case DsnAction::delivered:
      return "Your message was delivered to the following recipients.";
    case DsnAction::relayed:
      return "Your message was passed on to the following recipients' systems, which do "
             "not report delivery.";
    case DsnAction::expanded:
      return "Your message was delivered to the following lists or aliases, which "
             "forward it to further recipients.";
  }
  return {};
}

std::string human_readable_part(const DsnContext& context, const Envelope& envelope,
                                std::span<const DsnRecipient> recipients) {
  std::string text =
      wrap("This is the mail system at host " + sanitise(context.reporting_mta) + ".", "");
  for (auto action : {DsnAction::failed, DsnAction::delayed, DsnAction::delivered,
                      DsnAction::relayed, DsnAction::expanded}) {
    if (!any_with(recipients, action)) continue;
    text += kCrlf;
    text += wrap(section_intro(action), "");
    text += kCrlf;
    for (const auto& r : recipients)
      if (r.action == action) text += recipient_explanation(r);
  }
  text += kCrlf;
  text += wrap("The message was received on " + core::rfc5322_date(envelope.arrival_unix) +
                   " with queue id " + sanitise(envelope.id) + ".",
               "");
  if (!context.postmaster.empty())
    text += wrap("For further assistance, please write to " + angle(context.postmaster) + ".", "");
  return text;
}

std::string per_recipient_fields(const DsnRecipient& r) {
  std::string out;
  if (r.original_recipient)
    add_header(out, "Original-Recipient",
               r.original_recipient->addr_type + ";" + r.original_recipient->address);
  add_header(out, "Final-Recipient", "rfc822; " + r.final_recipient);
  add_header(out, "Action", action_keyword(r.action));
  add_header(out, "Status", r.status.str());
  if (!r.remote_mta.empty()) add_header(out, "Remote-MTA", "dns; " + r.remote_mta);
  if (!r.diagnostic.empty()) add_header(out, "Diagnostic-Code", "smtp; " + r.diagnostic);
  if (r.last_attempt_unix)
    add_header(out, "Last-Attempt-Date", core::rfc5322_date(*r.last_attempt_unix));
  if (r.action == DsnAction::delayed && r.will_retry_until_unix)
    add_header(out, "Will-Retry-Until", core::rfc5322_date(*r.will_retry_until_unix));
  return out;
}

std::string delivery_status_part(const DsnContext& context, const Envelope& envelope,
                                 std::span<const DsnRecipient> recipients) {
  std::string out;
  if (!envelope.envid.empty()) add_header(out, "Original-Envelope-Id", envelope.envid);
  add_header(out, "Reporting-MTA", "dns; " + context.reporting_mta);
  add_header(out, "X-Mxrelay-Queue-ID", envelope.id);
  add_header(out, "Arrival-Date", core::rfc5322_date(envelope.arrival_unix));
  for (const auto& r : recipients) {
    out += kCrlf;
    out += per_recipient_fields(r);
  }
  return out;
}

void add_part(std::string& out, std::string_view boundary, std::string_view description,
              std::string_view content_type, std::string_view content) {
  out += "--";
  out += boundary;
  out += kCrlf;
  add_header(out, "Content-Description", description);
  add_header(out, "Content-Type", content_type);
  if (has_8bit(content)) add_header(out, "Content-Transfer-Encoding", "8bit");
  out += kCrlf;
  out += content;
}

}  // namespace

const char* action_keyword(DsnAction action) {
  switch (action) {
    case DsnAction::failed:
      return "failed";
    case DsnAction::delayed:
      return "delayed";
    case DsnAction::delivered:
      return "delivered";
    case DsnAction::relayed:
      return "relayed";
    case DsnAction::expanded:
      return "expanded";
  }
  return "failed";
}

bool may_bounce(const Envelope& envelope) {
  return !envelope.is_bounce();
}

std::string render_dsn(const DsnContext& context, const Envelope& envelope,
                       std::string_view original_message,
                       std::span<const DsnRecipient> recipients) {
  const std::string original = normalise_lines(original_message);
  // RFC 8689: the report of a REQUIRETLS message returns only its header section,
  // since the report itself may travel without TLS.
  const bool full = envelope.ret == DsnRet::full && !envelope.require_tls;
  const std::string_view returned = full ? std::string_view(original) : header_section(original);
  const std::string human = human_readable_part(context, envelope, recipients);
  const std::string status = delivery_status_part(context, envelope, recipients);
  const std::string boundary = unique_boundary(context.boundary, human + status + original);

  std::string out;
  add_header(out, "From", "Mail Delivery System <MAILER-DAEMON@" + context.reporting_mta + ">");
  add_header(out, "To", angle(envelope.is_bounce() ? context.postmaster : envelope.sender));
  add_header(out, "Subject", subject_for(recipients));
  add_header(out, "Date", core::rfc5322_date(context.now_unix));
  add_header(out, "Message-ID", angle(context.message_id));
  add_header(out, "Auto-Submitted", "auto-replied");
  add_header(out, "MIME-Version", "1.0");
  add_header(out, "Content-Type",
             "multipart/report; report-type=delivery-status; boundary=\"" + boundary + "\"");
  add_header(out, "Content-Transfer-Encoding", has_8bit(returned) ? "8bit" : "7bit");
  out += kCrlf;
  out += "This is a MIME-encapsulated message.\r\n\r\n";
  add_part(out, boundary, "Notification", "text/plain; charset=us-ascii", human);
  out += kCrlf;
  add_part(out, boundary, "Delivery report", "message/delivery-status", status);
  out += kCrlf;
  if (full)
    add_part(out, boundary, "Original Message", "message/rfc822", returned);
  else
    add_part(out, boundary, "Original Message Headers", "text/rfc822-headers", returned);
  out += kCrlf;
  out += "--" + boundary + "--\r\n";
  return out;
}

}  // namespace mxrelay::queue
