// tests: a scripted driver for SmtpServerSession: feeds client input in chunks, performs
// the steps the session asks for (recording replies and stored messages) and exposes the
// whole transcript, so tests compare dialogues as plain text.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mta/protocol/smtp_server_session.hpp"

namespace mxrelay::mta::testing {

inline ServerSessionContext test_context(bool relay_allowed = true) {
  ServerSessionContext context;
  context.hostname = "mx.test";
  context.peer = *core::IpAddress::parse("127.0.0.1");
  context.relay_allowed = relay_allowed;
  return context;
}

// Joins reply or command lines with CRLF, ending with CRLF.
inline std::string crlf_lines(std::initializer_list<std::string_view> lines) {
  std::string out;
  for (auto line : lines) out.append(line).append("\r\n");
  return out;
}

inline const std::string kBanner = "220 mx.test ESMTP mxrelay\r\n";
inline const std::string kEhloReply =
    crlf_lines({"250-mx.test", "250-PIPELINING", "250-SIZE 52428800", "250-8BITMIME",
                "250-ENHANCEDSTATUSCODES", "250-SMTPUTF8", "250-CHUNKING", "250 DSN"});

class Dialogue {
 public:
  explicit Dialogue(ServerSessionContext context = test_context()) : session_(std::move(context)) {}

  // What the session wrote after the banner.
  const std::string& output() const { return output_; }
  // What the session wrote since the last call (or the banner).
  std::string take_output() { return std::exchange(output_, {}); }
  // Every message the session asked to store (including stores made to fail).
  const std::vector<ReceivedMessage>& stored() const { return stored_; }
  bool closed() const { return closed_; }
  std::size_t send_steps() const { return send_steps_; }
  SmtpServerSession& session() { return session_; }

  // Octets the session still held when each TLS handshake began (must be 0).
  const std::vector<std::size_t>& buffered_at_tls() const { return buffered_at_tls_; }
  // Every credential check the session asked for.
  const std::vector<SaslCredentials>& checked() const { return checked_; }
  // The answer to the next credential checks (default: accepted).
  void answer_checks_with(CredentialCheck check) { check_answer_ = check; }

  // The next store fails with this failure instead of succeeding.
  void fail_next_store(core::Failure failure) { store_failure_ = std::move(failure); }

  void feed(std::string_view bytes) {
    if (closed_) return;
    session_.on_input(bytes);
    run();
  }
  void feed_in_chunks(std::string_view bytes, std::size_t chunk_size) {
    for (std::size_t pos = 0; pos < bytes.size() && !closed_; pos += chunk_size)
      feed(bytes.substr(pos, chunk_size));
  }
  void eof() {
    session_.on_eof();
    run();
  }
  void timeout() {
    session_.on_timeout();
    run();
  }

  void run() {
    if (closed_) return;
    for (int guard = 0; guard < 1'000'000; ++guard) {
      auto step = session_.next();
      switch (step.kind) {
        case SmtpServerSession::Step::Kind::send:
          ++send_steps_;
          EXPECT_FALSE(step.bytes.empty());
          output_.append(step.bytes);
          break;
        case SmtpServerSession::Step::Kind::store_message:
          stored_.push_back(session_.message());
          if (store_failure_) {
            session_.on_store_failed(*store_failure_);
            store_failure_.reset();
          } else {
            session_.on_stored("Q" + std::to_string(stored_.size()));
          }
          break;
        case SmtpServerSession::Step::Kind::start_tls:
          output_.append(step.bytes);
          buffered_at_tls_.push_back(session_.buffered_bytes());
          session_.on_tls_started();
          break;
        case SmtpServerSession::Step::Kind::verify_credentials:
          checked_.push_back(session_.credentials());
          session_.on_credentials_checked(check_answer_);
          break;
        case SmtpServerSession::Step::Kind::need_input:
          return;
        case SmtpServerSession::Step::Kind::close:
          output_.append(step.bytes);
          closed_ = true;
          return;
      }
    }
    ADD_FAILURE() << "the session never asked for input";
  }

 private:
  SmtpServerSession session_;
  std::string output_;
  std::vector<ReceivedMessage> stored_;
  std::optional<core::Failure> store_failure_;
  std::vector<std::size_t> buffered_at_tls_;
  std::vector<SaslCredentials> checked_;
  CredentialCheck check_answer_ = CredentialCheck::accepted;
  std::size_t send_steps_ = 0;
  bool closed_ = false;
};

}  // namespace mxrelay::mta::testing
