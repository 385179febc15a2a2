// tests/fuzz: the outbound SMTP client (mta/protocol/smtp_client_session) and its reply parser
// (smtp_reply) under arbitrary server bytes, cut into reads of every size. The first octet
// picks the context (TLS policy, BDAT, credentials, implicit TLS, 8-bit content); the driver
// answers TLS steps as the choice stream says. Properties: the reply parser yields only codes
// 200..599 within its line limits; a recipient counts as delivered only when its RCPT and the
// end of data were answered positively; credentials never go out without TLS; the session
// always ends.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "mta/protocol/smtp_client_session.hpp"
#include "mta/protocol/smtp_reply.hpp"

namespace {

using mxrelay::fuzz::Choices;
using mxrelay::fuzz::Reads;
using mxrelay::fuzz::require;
using namespace mxrelay::mta;
using Kind = SmtpClientSession::Step::Kind;

void check_reply_parser(std::string_view input) {
  ReplyParser parser;
  parser.feed(input);
  for (;;) {
    auto reply = parser.next();
    if (!reply || !*reply) return;
    const SmtpReply& parsed = **reply;
    require(parsed.code >= 200 && parsed.code <= 599, "a parsed reply code is in 200..599");
    require(!parsed.lines.empty() && parsed.lines.size() <= max_reply_lines,
            "a parsed reply has 1..max_reply_lines lines");
    for (const auto& line : parsed.lines)
      require(line.size() <= max_reply_text_octets, "a parsed reply line keeps the limit");
  }
}

ClientSessionContext context_from(std::uint8_t flags) {
  ClientSessionContext context{"relay.fuzz.example", "mx.fuzz.example[127.0.0.3]"};
  static constexpr TlsPolicy policies[] = {TlsPolicy::none, TlsPolicy::may, TlsPolicy::encrypt,
                                           TlsPolicy::verify};
  context.tls_policy = policies[flags & 3];
  context.use_bdat = (flags & 4) != 0;
  if ((flags & 8) != 0) context.credentials = ClientCredentials{"fuzzuser", "fuzzsecret"};
  context.implicit_tls = (flags & 16) != 0;
  return context;
}

void check_result(const MessageResult& result, const OutboundMessage& message) {
  require(result.recipients.size() == message.recipients.size(),
          "a result has one entry per recipient");
  for (std::size_t i = 0; i < result.recipients.size(); ++i) {
    if (!result.delivered(i)) continue;
    require(result.recipients[i].reply.is_positive(), "a delivered recipient's RCPT was accepted");
    require(result.final_reply.is_positive(), "a delivered message's content was accepted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::string_view server = mxrelay::fuzz::as_text(data + 2, size - 2);
  check_reply_parser(server);

  Choices choices(data[1]);
  const std::uint8_t flags = data[0];
  const std::string body =
      (flags & 32) != 0 ? "Subject: caf\xc3\xa9\r\nContent-Type: text/plain\r\n\r\n\xe9t\xe9\r\n"
                        : "Subject: hello\r\n\r\nline one\r\n.dot line\r\n";
  OutboundMessage first;
  first.sender = "sender@fuzz.example";
  first.recipients = {"a@x.example", "b@x.example", "c@x.example"};
  first.data = &body;
  first.smtputf8 = (flags & 64) != 0;
  OutboundMessage second;
  second.recipients = {"d@y.example"};
  second.data = &body;
  const std::vector<const OutboundMessage*> messages{&first, &second};

  SmtpClientSession session(context_from(flags));
  Reads reads(server, choices, 64);
  std::size_t started = 0;
  std::size_t finished = 0;
  for (std::size_t steps = 0;; ++steps) {
    require(steps < 100'000, "the client session ends");
    const auto step = session.next();
    switch (step.kind) {
      case Kind::send:
        require(session.tls_active() || !step.bytes.starts_with("AUTH"),
                "credentials never go out without TLS");
        break;
      case Kind::need_input:
        if (reads.empty()) {
          choices.one_in(2) ? session.on_eof() : session.on_timeout();
        } else {
          session.on_input(reads.next());
        }
        break;
      case Kind::ready:
        if (started < messages.size())
          session.start_message(*messages[started++]);
        else
          session.quit();
        break;
      case Kind::message_done:
        require(finished < started, "each message is done once");
        check_result(session.take_result(), *messages[finished++]);
        break;
      case Kind::start_tls:
        if (!session.begin_tls(choices.one_in(8) ? 1 : 0)) break;
        if (choices.one_in(3))
          session.on_tls_failed("handshake failure (fuzz)");
        else
          session.on_tls_established("TLSv1.3 (fuzz)");
        break;
      case Kind::closed:
        return 0;
    }
  }
}
