// tests/fuzz: the inbound SMTP session (mta/protocol/smtp_server_session) under arbitrary
// client bytes, cut into reads of every size. The first octet picks the context (STARTTLS and
// AUTH offered, relay client, bare-newline normalising, TLS required); the driver answers
// storage, TLS and credential steps as the choice stream says. Properties: every reply line
// is a well-formed "NNN" line ending in CRLF, a stored message has recipients with one DSN
// entry each and stays within the size limit, and the session ends once input ends.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.hpp"
#include "mta/protocol/smtp_server_session.hpp"

namespace {

using mxrelay::fuzz::Choices;
using mxrelay::fuzz::Reads;
using mxrelay::fuzz::require;
using mxrelay::mta::CredentialCheck;
using mxrelay::mta::ServerSessionContext;
using mxrelay::mta::SmtpServerSession;
using Kind = SmtpServerSession::Step::Kind;

constexpr std::size_t kMaxMessage = 4096;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Replies: lines "NNN text" or "NNN-text", each ending in CRLF, no other CR or LF, no NUL.
void check_replies(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto end = bytes.find("\r\n");
    require(end != std::string_view::npos, "a reply line ends in CRLF");
    const std::string_view line = bytes.substr(0, end);
    require(line.size() >= 3 && is_digit(line[0]) && is_digit(line[1]) && is_digit(line[2]),
            "a reply line starts with a three-digit code");
    require(line[0] >= '2' && line[0] <= '5', "a reply code is 2xx to 5xx");
    require(line.size() == 3 || line[3] == ' ' || line[3] == '-', "a code is followed by SP or -");
    require(line.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos,
            "a reply line holds no CR, LF or NUL");
    bytes.remove_prefix(end + 2);
  }
}

ServerSessionContext context_from(std::uint8_t flags) {
  ServerSessionContext context;
  context.hostname = "relay.fuzz.example";
  context.peer = *mxrelay::core::IpAddress::parse("127.0.0.2");
  context.tls_available = (flags & 1) != 0;
  context.auth_available = (flags & 2) != 0;
  context.relay_allowed = (flags & 4) != 0;
  context.normalize_bare_newlines = (flags & 8) != 0;
  context.require_tls = (flags & 16) != 0;
  context.limits.max_message_size = kMaxMessage;
  context.limits.max_recipients = 4;
  context.limits.max_hops = 3;
  context.limits.max_errors = 30;
  if ((flags & 32) != 0) {
    context.recipient_policy =
        [](std::string_view recipient) -> std::optional<mxrelay::core::Failure> {
      if (recipient.find("reject") == std::string_view::npos) return std::nullopt;
      return mxrelay::core::Failure::permanent(550, {5, 7, 1}, "refused by policy");
    };
  }
  return context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  Choices choices(data[1]);
  SmtpServerSession session(context_from(data[0]));
  check_replies(session.greeting());
  Reads reads(mxrelay::fuzz::as_text(data + 2, size - 2), choices, 64);
  bool input_ended = false;
  std::size_t steps_after_end = 0;
  for (;;) {
    if (input_ended) require(++steps_after_end < 1000, "the session ends after end of input");
    const auto step = session.next();
    switch (step.kind) {
      case Kind::send:
        check_replies(step.bytes);
        break;
      case Kind::need_input:
        if (reads.empty()) {
          require(!input_ended, "no input is asked for after end of input");
          input_ended = true;
          session.on_eof();
        } else {
          session.on_input(reads.next());
        }
        break;
      case Kind::store_message: {
        const auto& message = session.message();
        require(!message.recipients.empty(), "a stored message has a recipient");
        require(message.recipient_dsn.size() == message.recipients.size(),
                "a stored message has one DSN entry per recipient");
        require(message.recipients.size() <= 4, "a stored message keeps the recipient limit");
        require(message.data.size() <= kMaxMessage, "a stored message keeps the size limit");
        if (choices.one_in(4))
          session.on_store_failed(
              mxrelay::core::Failure::temporary(451, {4, 3, 0}, "spool full (fuzz)"));
        else
          session.on_stored("FUZZQUEUEID");
        break;
      }
      case Kind::start_tls:
        check_replies(step.bytes);
        require(!session.tls_active(), "STARTTLS is only done once");
        if (choices.one_in(3)) {
          session.on_eof();
          input_ended = true;
        } else {
          session.on_tls_started();
        }
        break;
      case Kind::verify_credentials: {
        const auto pick = choices.next() % 3;
        session.on_credentials_checked(pick == 0   ? CredentialCheck::accepted
                                       : pick == 1 ? CredentialCheck::rejected
                                                   : CredentialCheck::locked_out);
        break;
      }
      case Kind::close:
        check_replies(step.bytes);
        return 0;
    }
  }
}
