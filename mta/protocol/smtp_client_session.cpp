// mta/protocol: the outbound SMTP client state machine. One small handler per reply; the
// transaction is sent as one batch with PIPELINING, otherwise one command per reply; the content
// goes after DATA (dot-stuffed) or as one BDAT LAST chunk.
#include "mta/protocol/smtp_client_session.hpp"

#include <stdexcept>
#include <utility>

#include "mta/protocol/base64.hpp"
#include "mta/protocol/dot_stuffing.hpp"
#include "mta/protocol/dsn_passthrough.hpp"
#include "mta/protocol/eight_bit_downgrade.hpp"
#include "mta/protocol/header_fields.hpp"

namespace mxrelay::mta {

namespace {

// The send buffer keeps its capacity between messages, up to this size.
constexpr std::size_t kept_send_capacity = 1024 * 1024;

bool has_line_break_or_nul(std::string_view address) {
  return address.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool envelope_is_clean(const OutboundMessage& message) {
  if (has_line_break_or_nul(message.sender)) return false;
  for (const auto& recipient : message.recipients)
    if (has_line_break_or_nul(recipient)) return false;
  return true;
}

bool needs_smtputf8(const OutboundMessage& message) {
  if (message.smtputf8 || has_eight_bit(message.sender)) return true;
  for (const auto& recipient : message.recipients)
    if (has_eight_bit(recipient)) return true;
  return false;
}

std::string host(const ClientSessionContext& context) {
  return context.remote_name.empty() ? std::string("host") : "host " + context.remote_name;
}

}  // namespace

SmtpClientSession::SmtpClientSession(ClientSessionContext context) : context_(std::move(context)) {
  if (context_.implicit_tls)
    phase_ = Phase::starting_tls;
  else
    expect({Command::greeting});
}

SmtpClientSession::Wait SmtpClientSession::wait_for(Command command) {
  switch (command) {
    case Command::greeting:
      return Wait::greeting;
    case Command::ehlo:
    case Command::helo:
    case Command::starttls:
    case Command::auth_plain:
    case Command::auth_login:
    case Command::auth_login_username:
    case Command::auth_login_password:
      return Wait::ehlo;
    case Command::rset:
    case Command::mail:
      return Wait::mail;
    case Command::rcpt:
      return Wait::rcpt;
    case Command::data:
      return Wait::data_init;
    case Command::end_of_data:
    case Command::empty_data:
    case Command::bdat_last:
      return Wait::final_dot;
    case Command::quit:
      return Wait::quit;
  }
  return Wait::quit;
}

std::string_view SmtpClientSession::awaited(Command command) {
  switch (command) {
    case Command::greeting:
      return "the initial greeting";
    case Command::ehlo:
      return "reply to EHLO command";
    case Command::helo:
      return "reply to HELO command";
    case Command::starttls:
      return "reply to STARTTLS command";
    case Command::auth_plain:
    case Command::auth_login:
      return "reply to AUTH command";
    case Command::auth_login_username:
      return "reply to AUTH LOGIN user name";
    case Command::auth_login_password:
      return "reply to AUTH LOGIN password";
    case Command::rset:
      return "reply to RSET command";
    case Command::mail:
      return "reply to MAIL FROM command";
    case Command::rcpt:
      return "reply to RCPT TO command";
    case Command::data:
      return "reply to DATA command";
    case Command::end_of_data:
    case Command::empty_data:
      return "reply to end of DATA command";
    case Command::bdat_last:
      return "reply to BDAT LAST command";
    case Command::quit:
      return "reply to QUIT command";
  }
  return "reply";
}

void SmtpClientSession::on_input(std::string_view bytes) {
  if (!eof_) parser_.feed(bytes);
}

void SmtpClientSession::on_eof() {
  interrupted_body_ = out_handed_ && out_wait_ == Wait::data_block;
  eof_ = true;
}

void SmtpClientSession::on_timeout() {
  if (!awaiting_reply() && !out_handed_) return;
  interrupted_body_ = out_handed_ && out_wait_ == Wait::data_block;
  timed_out_ = true;
}

SmtpClientSession::Step SmtpClientSession::next() {
  if (out_handed_) {
    out_handed_ = false;
    out_.clear();
    if (out_.capacity() > kept_send_capacity) std::string().swap(out_);
  }
  for (;;) {
    if (result_pending_) return {Step::Kind::message_done, {}, out_wait_};
    if (!out_.empty()) {
      out_handed_ = true;
      return {Step::Kind::send, out_, out_wait_};
    }
    if (awaiting_reply()) {
      auto parsed = parser_.next();
      if (!parsed) {
        fail_on_malformed_reply(parsed.error());
        continue;
      }
      if (!*parsed) {
        if (!input_ended())
          return {Step::Kind::need_input, {}, wait_for(pending_[pending_head_].command)};
        lose_connection();
        continue;
      }
      const PendingReply pending = pending_[pending_head_++];
      if (!awaiting_reply()) {
        pending_.clear();
        pending_head_ = 0;
      }
      transcript_.add_reply(**parsed);
      if (out_of_place(pending, **parsed)) {
        fail_out_of_step(pending, "<reply out of place: an addressing status for the content>");
        continue;
      }
      if (!awaiting_reply() && surplus_follows(pending)) {
        fail_out_of_step(pending, "<surplus data after " + std::string(awaited(pending.command)) +
                                      ": " + std::to_string(parser_.buffered_bytes()) +
                                      " bytes no command asked for>");
        continue;
      }
      handle(pending, std::move(**parsed));
      continue;
    }
    if (phase_ == Phase::starting_tls && !input_ended())
      return {Step::Kind::start_tls, {}, Wait::ehlo};
    if (phase_ == Phase::ready && !eof_) return {Step::Kind::ready, {}, Wait::mail};
    phase_ = Phase::closed;
    return {Step::Kind::closed, {}, Wait::quit};
  }
}

void SmtpClientSession::handle(PendingReply pending, SmtpReply reply) {
  if (ends_session(pending, reply)) return;
  switch (pending.command) {
    case Command::greeting:
      on_greeting(reply);
      break;
    case Command::ehlo:
      on_ehlo(reply);
      break;
    case Command::helo:
      on_helo(reply);
      break;
    case Command::starttls:
      on_starttls(reply);
      break;
    case Command::auth_plain:
    case Command::auth_login:
    case Command::auth_login_username:
    case Command::auth_login_password:
      on_auth(pending.command, reply);
      break;
    case Command::rset:
      on_rset(reply);
      break;
    case Command::mail:
      on_mail(reply);
      break;
    case Command::rcpt:
      on_rcpt(pending.recipient, std::move(reply));
      break;
    case Command::data:
      on_data(reply);
      break;
    case Command::end_of_data:
      on_end_of_data(std::move(reply));
      break;
    case Command::empty_data:
      transaction_may_be_open_ = false;
      break;
    case Command::bdat_last:
      on_bdat_last(std::move(reply));
      break;
    case Command::quit:
      phase_ = Phase::closed;
      break;
  }
  if (phase_ == Phase::transaction && !awaiting_reply()) finish_message();
}

bool SmtpClientSession::ends_session(PendingReply pending, const SmtpReply& reply) {
  if (pending.command == Command::quit || pending.command == Command::empty_data) return false;
  if (reply.code == 421) {
    const auto scope =
        phase_ == Phase::transaction ? FailureScope::destination : FailureScope::connection;
    fail_session(failure_from(reply, pending.command), scope, Ending::drop);
    return true;
  }
  const bool continues =
      pending.command == Command::auth_login || pending.command == Command::auth_login_username;
  const bool expected = reply.is_transient() || reply.is_permanent() ||
                        (pending.command == Command::data ? reply.code == 354
                         : continues                      ? reply.code == 334
                                                          : reply.is_positive());
  if (expected) return false;
  fail_session(
      core::Failure::temporary(451, {4, 5, 0},
                               host(context_) + " sent an unexpected reply: " + reply.str() +
                                   " (in " + std::string(awaited(pending.command)) + ")"),
      FailureScope::connection, Ending::drop);
  return true;
}

void SmtpClientSession::on_greeting(const SmtpReply& reply) {
  if (!reply.is_positive())
    return fail_session(failure_from(reply, Command::greeting), FailureScope::connection,
                        Ending::quit);
  phase_ = Phase::hello;
  send_hello(Command::ehlo);
}

void SmtpClientSession::on_ehlo(const SmtpReply& reply) {
  if (reply.is_positive()) {
    capabilities_ = PeerCapabilities::from_ehlo_reply(reply);
    if (tls_active_) return after_hello();
    return apply_tls_decision(
        decide_tls(context_.tls_policy, capabilities_.starttls, context_.remote_name));
  }
  if (reply.is_permanent()) return send_hello(Command::helo);
  fail_session(failure_from(reply, Command::ehlo), FailureScope::connection, Ending::quit);
}

void SmtpClientSession::on_helo(const SmtpReply& reply) {
  if (!reply.is_positive())
    return fail_session(failure_from(reply, Command::helo), FailureScope::connection, Ending::quit);
  capabilities_ = PeerCapabilities{};
  if (tls_active_) return after_hello();
  apply_tls_decision(decide_tls(context_.tls_policy, false, context_.remote_name));
}

void SmtpClientSession::apply_tls_decision(const TlsDecision& decision) {
  switch (decision.action) {
    case TlsAction::start_tls:
      return send_starttls();
    case TlsAction::plaintext:
      if (context_.credentials)
        return fail_auth(AuthOutcome::needs_tls,
                         core::Failure::temporary(
                             451, {4, 7, 4},
                             "TLS is required to send AUTH credentials, but " + host(context_) +
                                 " did not offer STARTTLS; credentials not sent"));
      return become_ready();
    case TlsAction::refuse:
      return fail_session(*decision.failure, FailureScope::connection, Ending::quit);
  }
}

void SmtpClientSession::after_hello() {
  if (context_.credentials && auth_outcome_ != AuthOutcome::succeeded) return start_auth();
  become_ready();
}

void SmtpClientSession::start_auth() {
  const auto& offered = capabilities_.auth_mechanisms;
  const auto mechanism = choose_auth_mechanism(offered);
  if (!mechanism) {
    std::string list;
    for (const auto& name : offered) list += (list.empty() ? "" : " ") + name;
    return fail_auth(AuthOutcome::unavailable,
                     core::Failure::temporary(
                         451, {4, 7, 0},
                         host(context_) + " offers no AUTH mechanism mxrelay supports (PLAIN, " +
                             "LOGIN); it offers: " + (list.empty() ? "none" : list)));
  }
  const auto& credentials = *context_.credentials;
  if (*mechanism == AuthMechanism::plain)
    return send_secret("AUTH PLAIN " + plain_initial_response(credentials),
                       "AUTH PLAIN <credentials of " + credentials.username + ">",
                       Command::auth_plain);
  send_secret("AUTH LOGIN", "AUTH LOGIN", Command::auth_login);
}

// RFC 4954 4: 235 ends the exchange; LOGIN asks for the user name and the password with 334.
void SmtpClientSession::on_auth(Command command, const SmtpReply& reply) {
  const auto& credentials = *context_.credentials;
  if (reply.code == 235) {
    auth_outcome_ = AuthOutcome::succeeded;
    return become_ready();
  }
  if (reply.code == 334 && command == Command::auth_login)
    return send_secret(encode_base64(credentials.username),
                       "<user name " + credentials.username + ">", Command::auth_login_username);
  if (reply.code == 334 && command == Command::auth_login_username)
    return send_secret(encode_base64(credentials.password), "<password>",
                       Command::auth_login_password);
  auth_reply_ = reply;
  fail_auth(AuthOutcome::refused, failure_from(reply, command));
}

void SmtpClientSession::fail_auth(AuthOutcome outcome, core::Failure failure) {
  auth_outcome_ = outcome;
  fail_session(std::move(failure), FailureScope::connection, Ending::quit);
}

void SmtpClientSession::on_starttls(const SmtpReply& reply) {
  if (!reply.is_positive())
    return apply_tls_decision(
        decide_after_refused_starttls(context_.tls_policy, context_.remote_name, reply.str()));
  if (parser_.buffered_bytes() > 0)
    return fail_session(tls_injection_failure(context_.remote_name), FailureScope::connection,
                        Ending::drop);
  phase_ = Phase::starting_tls;
}

bool SmtpClientSession::begin_tls(std::size_t bytes_waiting) {
  if (phase_ != Phase::starting_tls)
    throw std::logic_error("SmtpClientSession::begin_tls without a start_tls step");
  if (bytes_waiting == 0) return true;
  transcript_.add(Transcript::Direction::server, "<data before the TLS handshake>");
  fail_session(tls_injection_failure(context_.remote_name), FailureScope::connection, Ending::drop);
  return false;
}

void SmtpClientSession::on_tls_established(std::string_view description) {
  if (phase_ != Phase::starting_tls)
    throw std::logic_error("SmtpClientSession::on_tls_established without a start_tls step");
  transcript_.add(Transcript::Direction::client, "<TLS " + std::string(description) + ">");
  const bool before_greeting = context_.implicit_tls && !tls_active_;
  tls_active_ = true;
  parser_ = ReplyParser{};
  capabilities_ = PeerCapabilities{};
  if (before_greeting) {
    phase_ = Phase::greeting;
    expect({Command::greeting});
    return;
  }
  phase_ = Phase::hello;
  send_hello(Command::ehlo);
}

void SmtpClientSession::on_tls_failed(std::string_view reason) {
  if (phase_ != Phase::starting_tls)
    throw std::logic_error("SmtpClientSession::on_tls_failed without a start_tls step");
  transcript_.add(Transcript::Direction::client,
                  "<TLS handshake failed: " + std::string(reason) + ">");
  tls_failed_ = true;
  fail_session(tls_handshake_failure(context_.remote_name, reason), FailureScope::connection,
               Ending::drop);
}

void SmtpClientSession::become_ready() {
  phase_ = Phase::ready;
  setup_transcript_size_ = transcript_.size();
}

void SmtpClientSession::start_message(const OutboundMessage& message) {
  if (!ready()) throw std::logic_error("SmtpClientSession::start_message while not ready");
  if (!message.data || message.recipients.empty())
    throw std::logic_error("SmtpClientSession::start_message without data or recipients");
  transcript_.truncate(setup_transcript_size_);
  result_ = MessageResult{};
  result_.recipients.resize(message.recipients.size());
  accepted_recipients_ = 0;

  if (!envelope_is_clean(message)) {
    result_.failure = core::Failure::permanent(
        501, {5, 5, 2}, "envelope address contains CR, LF or NUL; message not sent");
    result_.scope = FailureScope::message;
    result_pending_ = true;
    return;
  }
  if (!prepare_content(message)) return;
  if (!capabilities_.accepts_size(content_size())) {
    result_.failure = core::Failure::permanent(
        552, {5, 3, 4},
        "message size " + std::to_string(content_size()) + " exceeds size limit " +
            std::to_string(capabilities_.size_limit) + " of " + host(context_));
    result_.scope = FailureScope::message;
    result_pending_ = true;
    return;
  }

  message_ = &message;
  chunking_ = context_.use_bdat && capabilities_.chunking;
  phase_ = Phase::transaction;
  if (needs_rset_) {
    send_rset();
    if (!capabilities_.pipelining) return;
  }
  send_mail();
  if (!capabilities_.pipelining) return;
  for (std::size_t i = 0; i < message.recipients.size(); ++i) send_rcpt(i);
  send_content_command();
}

bool SmtpClientSession::prepare_content(const OutboundMessage& message) {
  smtputf8_ = needs_smtputf8(message);
  eight_bit_ = has_eight_bit(*message.data);
  content_ = message.data;
  converted_.clear();
  signature_.clear();
  std::optional<core::Failure> failure;
  result_.next_hop_unqualified =
      message.require_tls &&
      !(tls_active_ && certificate_must_verify(context_.tls_policy) && capabilities_.requiretls);
  if (message.require_tls && !(tls_active_ && certificate_must_verify(context_.tls_policy))) {
    failure = core::Failure::permanent(
        550, {5, 7, 30},
        "message needs REQUIRETLS (RFC 8689): no verified TLS session with " + host(context_));
  } else if (message.require_tls && !capabilities_.requiretls) {
    failure = core::Failure::permanent(
        550, {5, 7, 30},
        "message needs REQUIRETLS (RFC 8689), which " + host(context_) + " does not offer");
  } else if (smtputf8_ && !capabilities_.smtputf8) {
    failure = core::Failure::permanent(
        550, {5, 6, 7},
        "message needs SMTPUTF8 (RFC 6531), which " + host(context_) + " does not offer");
  } else if (eight_bit_ && !capabilities_.eight_bit_mime &&
             count_fields(split_message(*message.data), "DKIM-Signature") > 0) {
    failure = core::Failure::permanent(
        554, {5, 6, 3},
        "message has 8-bit content and a DKIM-Signature, and " + host(context_) +
            " does not offer 8BITMIME: converting it to 7 bit would break that signature");
  } else if (eight_bit_ && !capabilities_.eight_bit_mime) {
    auto converted = downgrade_to_seven_bit(*message.data);
    if (converted) {
      converted_ = std::move(*converted);
      content_ = &converted_;
      eight_bit_ = false;
    } else {
      failure = std::move(converted.error());
    }
  }
  if (!failure) {
    if (message.sign) signature_ = message.sign(*content_);
    return true;
  }
  result_.failure = std::move(failure);
  result_.scope = FailureScope::message;
  result_pending_ = true;
  return false;
}

void SmtpClientSession::on_rset(const SmtpReply& reply) {
  if (!reply.is_positive())
    return fail_session(failure_from(reply, Command::rset), FailureScope::connection, Ending::drop);
  needs_rset_ = false;
  if (!capabilities_.pipelining) send_mail();
}

void SmtpClientSession::on_mail(const SmtpReply& reply) {
  if (!reply.is_positive()) {
    transaction_may_be_open_ = false;
    return fail_message(failure_from(reply, Command::mail));
  }
  if (!capabilities_.pipelining) send_rcpt(0);
}

void SmtpClientSession::on_rcpt(std::size_t recipient, SmtpReply reply) {
  RecipientReply& outcome = result_.recipients[recipient];
  outcome.accepted = reply.is_positive();
  if (outcome.accepted)
    ++accepted_recipients_;
  else if (!result_.failure)
    outcome.rejection = failure_from(reply, Command::rcpt);
  outcome.reply = std::move(reply);
  if (capabilities_.pipelining || result_.failure) return;
  if (recipient + 1 < result_.recipients.size())
    send_rcpt(recipient + 1);
  else if (accepted_recipients_ > 0)
    send_content_command();
}

void SmtpClientSession::on_data(const SmtpReply& reply) {
  const bool nothing_to_send = result_.failure || accepted_recipients_ == 0;
  if (reply.code == 354) return nothing_to_send ? send_empty_data() : send_body();
  if (!nothing_to_send) fail_message(failure_from(reply, Command::data));
}

void SmtpClientSession::on_end_of_data(SmtpReply reply) {
  transaction_may_be_open_ = false;
  if (!reply.is_positive()) fail_message(failure_from(reply, Command::end_of_data));
  result_.final_reply = std::move(reply);
}

// RFC 3030 2: after a failed BDAT the transaction is in doubt, so the next message starts
// with RSET. A reply to a chunk sent when nothing could be delivered (MAIL refused, no
// recipient accepted) only says that the server discarded it.
void SmtpClientSession::on_bdat_last(SmtpReply reply) {
  if (result_.failure || accepted_recipients_ == 0) return;
  transaction_may_be_open_ = !reply.is_positive();
  if (!reply.is_positive()) fail_message(failure_from(reply, Command::bdat_last));
  result_.final_reply = std::move(reply);
}

void SmtpClientSession::finish_message() {
  if (!result_.failure) {
    for (const auto& outcome : result_.recipients)
      if (outcome.rejection) result_.scope = FailureScope::recipient;
  }
  needs_rset_ = transaction_may_be_open_;
  transaction_may_be_open_ = false;
  message_ = nullptr;
  content_ = nullptr;
  converted_.clear();
  signature_.clear();
  result_pending_ = true;
  phase_ = Phase::ready;
}

MessageResult SmtpClientSession::take_result() {
  if (!result_pending_) throw std::logic_error("SmtpClientSession::take_result without a result");
  result_pending_ = false;
  return std::move(result_);
}

void SmtpClientSession::quit() {
  if (phase_ == Phase::closed || eof_) {
    phase_ = Phase::closed;
    return;
  }
  if (!ready()) throw std::logic_error("SmtpClientSession::quit while not ready");
  send_quit();
}

void SmtpClientSession::fail_message(core::Failure failure) {
  if (result_.failure) return;
  result_.failure = std::move(failure);
  result_.scope = FailureScope::message;
}

void SmtpClientSession::fail_session(core::Failure failure, FailureScope scope, Ending ending) {
  pending_.clear();
  pending_head_ = 0;
  out_.clear();
  if (phase_ == Phase::transaction) {
    if (!result_.failure) {
      result_.failure = std::move(failure);
      result_.scope = scope;
    }
    finish_message();
  } else if (!connection_failure_) {
    connection_failure_ = std::move(failure);
  }
  if (ending == Ending::quit)
    send_quit();
  else
    phase_ = Phase::closed;
}

void SmtpClientSession::lose_connection() {
  if (phase_ == Phase::quitting) {
    pending_.clear();
    pending_head_ = 0;
    phase_ = Phase::closed;
    return;
  }
  const std::string what =
      interrupted_body_ ? std::string("sending message content")
                        : "waiting for " + std::string(awaited(pending_[pending_head_].command));
  const std::string reason =
      timed_out_ ? "conversation with " + host(context_) + " timed out while " + what
                 : "lost connection with " + host(context_) + " while " + what;
  fail_session(core::Failure::temporary(421, {4, 4, 2}, reason), FailureScope::connection,
               Ending::drop);
}

void SmtpClientSession::fail_on_malformed_reply(ReplyError error) {
  transcript_.add(Transcript::Direction::server,
                  "<malformed reply: " + std::string(describe(error)) + ">");
  if (phase_ == Phase::quitting) {
    pending_.clear();
    pending_head_ = 0;
    phase_ = Phase::closed;
    return;
  }
  fail_session(core::Failure::temporary(451, {4, 5, 0},
                                        host(context_) + " sent a malformed reply (" +
                                            std::string(describe(error)) + ") in " +
                                            std::string(awaited(pending_[pending_head_].command))),
               FailureScope::connection, Ending::drop);
}

// STARTTLS has its own stricter check (any byte after its 220 is an injection), and nothing
// after the reply to QUIT matters.
bool SmtpClientSession::surplus_follows(const PendingReply& pending) const {
  if (parser_.buffered_bytes() == 0) return false;
  if (pending.command == Command::starttls || pending.command == Command::quit) return false;
  // A server may close with 421 at any time (RFC 5321 3.8); that is not a surplus reply.
  ReplyParser probe = parser_;
  auto closing = probe.next();
  return !(closing && *closing && (*closing)->code == 421 && probe.buffered_bytes() == 0);
}

bool SmtpClientSession::out_of_place(const PendingReply& pending, const SmtpReply& reply) {
  const bool content =
      pending.command == Command::end_of_data || pending.command == Command::bdat_last;
  return content && reply.is_positive() && reply.status && reply.status->subject == 1;
}

// RFC 5321 4.1.1.4 and RFC 2920 3.1: every reply answers the oldest command without one. A
// reply that answers none means the pairing cannot be trusted: a reply to the content might
// belong to RCPT, so nothing in flight counts as delivered.
void SmtpClientSession::fail_out_of_step(const PendingReply& pending, std::string_view evidence) {
  protocol_error_ = true;
  transcript_.add(Transcript::Direction::server, evidence);
  fail_session(core::Failure::temporary(
                   451, {4, 5, 0},
                   host(context_) + " sent a reply that no command asked for (after " +
                       std::string(awaited(pending.command)) +
                       "); replies and commands are out of step, so the outcome is uncertain"),
               FailureScope::connection, Ending::drop);
}

core::Failure SmtpClientSession::failure_from(const SmtpReply& reply, Command command) const {
  const int reply_class = reply.code / 100;
  // RFC 5321 4.5.3.1.10: a 552 to RCPT means "too many recipients", to be treated as temporary.
  // A refused RSET is the connection's trouble, and refused AUTH a credential or configuration
  // problem: never a reason to bounce the message.
  const bool auth = command == Command::auth_plain || command == Command::auth_login ||
                    command == Command::auth_login_username ||
                    command == Command::auth_login_password;
  const bool permanent = reply_class == 5 && command != Command::rset && !auth &&
                         !(command == Command::rcpt && reply.code == 552);
  core::EnhancedStatus status = reply.status.value_or(core::EnhancedStatus{reply_class, 0, 0});
  status.klass = permanent ? 5 : 4;
  const int code = permanent || reply_class == 4 ? reply.code : 400 + reply.code % 100;
  std::string reason =
      host(context_) + " said: " + reply.str() + " (in " + std::string(awaited(command)) + ")";
  auto failure = permanent ? core::Failure::permanent(code, status, std::move(reason))
                           : core::Failure::temporary(code, status, std::move(reason));
  failure.remote_reply = reply.str();
  return failure;
}

void SmtpClientSession::expect(PendingReply pending) {
  pending_.push_back(pending);
  out_wait_ = wait_for(pending.command);
}

void SmtpClientSession::record_command(std::size_t line_start) {
  transcript_.add(Transcript::Direction::client, std::string_view(out_).substr(line_start));
  out_ += "\r\n";
}

void SmtpClientSession::send_hello(Command command) {
  const std::size_t start = out_.size();
  out_ += command == Command::ehlo ? "EHLO " : "HELO ";
  out_ += context_.helo_name;
  record_command(start);
  expect({command});
}

void SmtpClientSession::send_secret(std::string_view line, std::string_view shown,
                                    Command command) {
  transcript_.add(Transcript::Direction::client, shown);
  out_ += line;
  out_ += "\r\n";
  expect({command});
}

void SmtpClientSession::send_starttls() {
  const std::size_t start = out_.size();
  out_ += "STARTTLS";
  record_command(start);
  expect({Command::starttls});
}

void SmtpClientSession::send_rset() {
  const std::size_t start = out_.size();
  out_ += "RSET";
  record_command(start);
  expect({Command::rset});
}

void SmtpClientSession::send_mail() {
  const std::size_t start = out_.size();
  out_ += "MAIL FROM:<";
  out_ += message_->sender;
  out_ += '>';
  if (capabilities_.size_offered) {
    out_ += " SIZE=";
    out_ += std::to_string(content_size());
  }
  if (eight_bit_) out_ += " BODY=8BITMIME";
  if (smtputf8_) out_ += " SMTPUTF8";
  if (message_->require_tls) out_ += " REQUIRETLS";
  if (capabilities_.dsn) out_ += mail_dsn_parameters(message_->dsn);
  record_command(start);
  expect({Command::mail});
  transaction_may_be_open_ = true;
}

void SmtpClientSession::send_rcpt(std::size_t recipient) {
  const std::size_t start = out_.size();
  out_ += "RCPT TO:<";
  out_ += message_->recipients[recipient];
  out_ += '>';
  if (capabilities_.dsn && recipient < message_->recipient_dsn.size())
    out_ += rcpt_dsn_parameters(message_->recipient_dsn[recipient]);
  record_command(start);
  expect({Command::rcpt, recipient});
}

void SmtpClientSession::send_data() {
  const std::size_t start = out_.size();
  out_ += "DATA";
  record_command(start);
  expect({Command::data});
}

void SmtpClientSession::send_body() {
  out_ += signature_;  // its lines start with "DKIM-Signature:" or a tab: nothing to stuff
  append_dot_stuffed(out_, *content_);
  transcript_.add(Transcript::Direction::client,
                  "<message body: " + std::to_string(content_size()) + " bytes>");
  transcript_.add(Transcript::Direction::client, ".");
  expect({Command::end_of_data});
  out_wait_ = Wait::data_block;
}

void SmtpClientSession::send_content_command() {
  if (chunking_)
    send_bdat_last();
  else
    send_data();
}

void SmtpClientSession::send_bdat_last() {
  const std::size_t start = out_.size();
  out_ += "BDAT ";
  out_ += std::to_string(content_size());
  out_ += " LAST";
  record_command(start);
  out_ += signature_;
  out_ += *content_;
  transcript_.add(Transcript::Direction::client,
                  "<message body: " + std::to_string(content_size()) + " bytes>");
  expect({Command::bdat_last});
  out_wait_ = Wait::data_block;
}

void SmtpClientSession::send_empty_data() {
  out_ += ".\r\n";
  transcript_.add(Transcript::Direction::client, ".");
  expect({Command::empty_data});
}

void SmtpClientSession::send_quit() {
  const std::size_t start = out_.size();
  out_ += "QUIT";
  record_command(start);
  expect({Command::quit});
  phase_ = Phase::quitting;
}

}  // namespace mxrelay::mta
