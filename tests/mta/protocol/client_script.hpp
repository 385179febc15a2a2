// Test support for the outbound SMTP client session: a scripted driver that performs the
// session's steps against canned server replies (per reply, in one chunk or byte by byte),
// answers TLS steps as told, starts messages when ready, quits, and can inject a lost
// connection or a timeout at any I/O step.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "mta/protocol/smtp_client_session.hpp"

namespace mxrelay::mta {

using Kind = SmtpClientSession::Step::Kind;
using Wait = SmtpClientSession::Wait;

enum class Feed { per_reply, all_at_once, byte_by_byte };
enum class Fault { eof, timeout };

inline const ClientSessionContext context{"relay.example", "mx.example[127.0.0.1]"};

// How the scripted driver answers a start_tls step.
enum class TlsScript {
  refused,          // no TLS is expected: the step is a test failure
  established,      // the handshake succeeds
  handshake_fails,  // the handshake fails
};

// Plays the driver: performs the session's steps against scripted server replies, starts
// the given messages whenever the session is ready, then quits.
struct Run {
  std::string wire;  // everything the client sent
  std::vector<Wait> input_waits;
  std::vector<Wait> send_waits;
  std::vector<MessageResult> results;
  std::optional<core::Failure> connection_failure;
  std::string transcript;
  std::size_t io_steps = 0;  // send and need_input steps
  bool starved = false;      // the session wanted more input than the script holds
  bool closed = false;
  AuthOutcome auth = AuthOutcome::none;
  bool protocol_error = false;
};

struct Injection {
  std::size_t at_io_step;
  Fault fault;
};

inline Run run(const std::vector<std::string>& replies,
               const std::vector<const OutboundMessage*>& messages, Feed feed = Feed::per_reply,
               std::optional<Injection> injection = std::nullopt,
               const ClientSessionContext& session_context = context,
               TlsScript tls = TlsScript::refused) {
  SmtpClientSession session(session_context);
  Run out;
  std::deque<std::string> chunks(replies.begin(), replies.end());
  if (feed != Feed::per_reply) {
    std::string all;
    for (const auto& chunk : replies) all += chunk;
    chunks.clear();
    if (feed == Feed::all_at_once) {
      chunks.push_back(all);
    } else {
      for (char c : all) chunks.emplace_back(1, c);
    }
  }
  std::size_t next_message = 0;
  for (int guard = 0; guard < 1'000'000; ++guard) {
    const auto step = session.next();
    if (step.kind == Kind::send || step.kind == Kind::need_input) {
      const std::size_t io_step = out.io_steps++;
      if (injection && injection->at_io_step == io_step) {
        injection->fault == Fault::eof ? session.on_eof() : session.on_timeout();
        continue;
      }
    }
    switch (step.kind) {
      case Kind::send:
        out.wire += step.bytes;
        out.send_waits.push_back(step.wait);
        break;
      case Kind::need_input:
        out.input_waits.push_back(step.wait);
        if (chunks.empty()) {
          out.starved = true;
          session.on_eof();
        } else {
          session.on_input(chunks.front());
          chunks.pop_front();
        }
        break;
      case Kind::ready:
        if (next_message < messages.size())
          session.start_message(*messages[next_message++]);
        else
          session.quit();
        break;
      case Kind::message_done:
        out.results.push_back(session.take_result());
        break;
      case Kind::start_tls:
        if (tls == TlsScript::refused) {
          ADD_FAILURE() << "TLS without a TLS policy";
          session.on_tls_failed("unexpected");
        } else if (!session.begin_tls(0)) {
          break;
        } else if (tls == TlsScript::handshake_fails) {
          session.on_tls_failed("handshake failure (test)");
        } else {
          session.on_tls_established("TLSv1.3 TLS_AES_256_GCM_SHA384 (test)");
        }
        break;
      case Kind::closed:
        out.closed = session.closed();
        out.connection_failure = session.connection_failure();
        out.transcript = session.transcript().str();
        out.auth = session.auth_outcome();
        out.protocol_error = session.protocol_error();
        return out;
    }
  }
  ADD_FAILURE() << "session did not finish";
  return out;
}

}  // namespace mxrelay::mta
