// mta/protocol: the inbound SMTP state machine: command dispatch, transaction state, replies.
#include "mta/protocol/smtp_server_session.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "mta/protocol/smtp_line.hpp"

namespace mxrelay::mta {

namespace {

using Status = core::EnhancedStatus;

// Replies are handed to the driver once this many octets are waiting.
constexpr std::size_t kOutputFlushSize = 16 * 1024;
// The message buffer reserved up front (SIZE= can raise it up to kMaxReservation), and
// the capacity above which it is released between transactions.
constexpr std::size_t kInitialReservation = 16 * 1024;
constexpr std::size_t kMaxReservation = 4 * 1024 * 1024;
constexpr std::size_t kMaxIdleCapacity = 1024 * 1024;
constexpr std::size_t kMaxHeloLength = 255;

// Appends text with any CR, LF or NUL replaced by a space, so a reply stays one line.
void append_text(std::string& out, std::string_view text) {
  std::size_t start = out.size();
  out.append(text);
  for (std::size_t i = start; i < out.size(); ++i)
    if (out[i] == '\r' || out[i] == '\n' || out[i] == '\0') out[i] = ' ';
}

void append_number(std::string& out, std::uint64_t number) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, number);
  out.append(digits, result.ptr);
}

void append_reply(std::string& out, int code, Status status, std::string_view text) {
  append_number(out, static_cast<std::uint64_t>(code));
  out.push_back(' ');
  append_number(out, static_cast<std::uint64_t>(status.klass));
  out.push_back('.');
  append_number(out, static_cast<std::uint64_t>(status.subject));
  out.push_back('.');
  append_number(out, static_cast<std::uint64_t>(status.detail));
  out.push_back(' ');
  append_text(out, text);
  out.append("\r\n");
}

// EHLO/HELO argument: one token of printable ASCII (a domain or an address literal).
// The command line as the log shows it: AUTH without its initial response (credentials).
std::string loggable_command(std::string_view line) {
  const auto command = parse_command_line(line);
  if (command.verb != Verb::auth) return std::string(line);
  return "AUTH " + std::string(command.argument.substr(0, command.argument.find(' ')));
}

bool is_valid_helo_argument(std::string_view argument) {
  if (argument.empty() || argument.size() > kMaxHeloLength) return false;
  return std::all_of(argument.begin(), argument.end(), [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u >= 33 && u <= 126;
  });
}

// BDAT octets with each bare CR or LF turned into CRLF. A CR at the end waits in pending_cr
// until the next octet shows whether it begins a CRLF.
std::string normalize_bare_line_endings(std::string_view octets, bool& pending_cr) {
  std::string out;
  out.reserve(octets.size() + 2);
  for (char c : octets) {
    if (std::exchange(pending_cr, false)) {
      out.append("\r\n");
      if (c == '\n') continue;
    }
    if (c == '\r') {
      pending_cr = true;
    } else if (c == '\n') {
      out.append("\r\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<std::uint64_t> parse_size_value(std::string_view value) {
  std::uint64_t size = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), size);
  if (end != value.data() + value.size()) return std::nullopt;
  if (error == std::errc::result_out_of_range) return UINT64_MAX;
  if (error != std::errc{}) return std::nullopt;
  return size;
}

}  // namespace

SmtpServerSession::SmtpServerSession(ServerSessionContext context) : context_(std::move(context)) {}

std::string SmtpServerSession::greeting() const {
  std::string out = "220 ";
  append_text(out, context_.hostname);
  out.append(" ESMTP mxrelay\r\n");
  return out;
}

void SmtpServerSession::on_input(std::string_view bytes) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  input_.erase(0, input_read_);
  input_read_ = 0;
  input_.append(bytes);
}

void SmtpServerSession::on_eof() {
  phase_ = Phase::closed;
  output_.clear();
  credentials_ = {};
}

void SmtpServerSession::on_timeout() {
  if (phase_ == Phase::closed) return;
  std::string text = context_.hostname + " Error: timeout exceeded";
  append_reply(output_, 421, Status{4, 4, 2}, text);
  phase_ = Phase::closing;
}

SmtpServerSession::Step SmtpServerSession::next() {
  if (phase_ == Phase::tls_handshake || phase_ == Phase::verifying)
    throw std::logic_error("next() while a TLS handshake or credential check is pending");
  if (phase_ == Phase::commands || phase_ == Phase::auth_response || phase_ == Phase::data ||
      phase_ == Phase::chunk)
    process_input();
  if (phase_ == Phase::closing) {
    phase_ = Phase::closed;
    return {Step::Kind::close, take_output()};
  }
  if (phase_ == Phase::closed) return {Step::Kind::close, {}};
  if (phase_ == Phase::tls_requested) {
    phase_ = Phase::tls_handshake;
    return {Step::Kind::start_tls, take_output()};
  }
  if (!output_.empty()) return {Step::Kind::send, take_output()};
  if (phase_ == Phase::storing) return {Step::Kind::store_message, {}};
  if (phase_ == Phase::verify_requested) {
    phase_ = Phase::verifying;
    return {Step::Kind::verify_credentials, {}};
  }
  return {Step::Kind::need_input, {}};
}

const ReceivedMessage& SmtpServerSession::message() const {
  return message_;
}

void SmtpServerSession::on_stored(std::string_view queue_id) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return reset_transaction();
  if (phase_ != Phase::storing) throw std::logic_error("on_stored without a pending store");
  std::string text = "Ok: queued as ";
  text.append(queue_id);
  reply({250, Status{2, 0, 0}, text});
  errors_ = 0;
  reset_transaction();
  phase_ = Phase::commands;
}

void SmtpServerSession::on_store_failed(const core::Failure& failure) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return reset_transaction();
  if (phase_ != Phase::storing) throw std::logic_error("on_store_failed without a pending store");
  reply({failure.reply_code, failure.status, failure.reason});
  reset_transaction();
  phase_ = Phase::commands;
}

// RFC 3207 4.2: after the handshake the session starts over, without any earlier knowledge.
void SmtpServerSession::on_tls_started() {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  if (phase_ != Phase::tls_handshake)
    throw std::logic_error("on_tls_started without a pending start_tls");
  tls_active_ = true;
  greeted_ = Greeted::no;
  message_.helo.clear();
  reset_transaction();
  input_.clear();
  input_read_ = 0;
  dropping_long_line_ = false;
  phase_ = Phase::commands;
}

void SmtpServerSession::on_credentials_checked(CredentialCheck check) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;
  if (phase_ != Phase::verifying)
    throw std::logic_error("on_credentials_checked without a pending check");
  std::string username = std::exchange(credentials_.username, {});
  credentials_.password.clear();
  phase_ = Phase::commands;
  switch (check) {
    case CredentialCheck::accepted:
      authenticated_user_ = std::move(username);
      errors_ = 0;
      return reply({235, Status{2, 7, 0}, "Authentication successful"});
    case CredentialCheck::rejected:
      return reject({535, Status{5, 7, 8}, "Authentication credentials invalid"});
    case CredentialCheck::locked_out: {
      std::string text = context_.hostname + " Error: too many failed authentication attempts";
      append_reply(output_, 421, Status{4, 7, 0}, text);
      phase_ = Phase::closing;
      return;
    }
  }
}

std::string_view SmtpServerSession::unread() const {
  return std::string_view(input_).substr(input_read_);
}

void SmtpServerSession::process_input() {
  while (output_.size() < kOutputFlushSize) {
    bool progressed = false;
    if (phase_ == Phase::commands || phase_ == Phase::auth_response) {
      progressed = read_command();
    } else if (phase_ == Phase::data) {
      progressed = read_data();
    } else if (phase_ == Phase::chunk) {
      progressed = read_chunk();
    }
    if (!progressed) break;
  }
}

// Executes the next complete command line (or AUTH response); false when none is buffered.
// A line that grows past the limit without a CRLF is dropped as it arrives and answered at
// its CRLF.
bool SmtpServerSession::read_command() {
  bool auth = phase_ == Phase::auth_response;
  std::size_t limit = auth ? context_.limits.max_auth_line : context_.limits.max_command_line;
  std::string_view pending = unread();
  std::size_t crlf = find_crlf(pending);
  if (crlf == std::string_view::npos) {
    if (pending.size() > limit) {
      std::size_t keep = pending.back() == '\r' ? 1 : 0;
      input_read_ += pending.size() - keep;
      dropping_long_line_ = true;
    }
    return false;
  }
  input_read_ += crlf + 2;
  bool too_long = std::exchange(dropping_long_line_, false) || crlf + 2 > limit;
  if (too_long) {
    phase_ = Phase::commands;
    command_ = "(a command line over the limit)";
    reject({500, Status{5, 5, 2}, "Error: command line too long"});
  } else if (auth) {
    on_auth_response(pending.substr(0, crlf));
  } else {
    execute(pending.substr(0, crlf));
  }
  return true;
}

bool SmtpServerSession::read_data() {
  input_read_ += data_reader_.read(unread(), message_.data);
  if (!data_reader_.finished()) return false;
  finish_data();
  return true;
}

bool SmtpServerSession::read_chunk() {
  std::string_view octets = unread();
  octets = octets.substr(
      0, static_cast<std::size_t>(std::min<std::uint64_t>(chunk_remaining_, octets.size())));
  input_read_ += octets.size();
  chunk_remaining_ -= octets.size();
  if (context_.normalize_bare_newlines && !chunk_refusal_) {
    read_normalized_chunk(octets);
  } else {
    chunk_reader_.read(octets, message_.data);
  }
  if (chunk_remaining_ > 0) return false;
  finish_chunk();
  return true;
}

// Normalising changes the octet count, and the chunk reader counts the octets it is given,
// so each normalised piece is a chunk of its own to it; the session counts the real chunk.
void SmtpServerSession::read_normalized_chunk(std::string_view octets) {
  std::string text = normalize_bare_line_endings(octets, chunk_pending_cr_);
  if (chunk_remaining_ == 0 && chunk_last_ && std::exchange(chunk_pending_cr_, false))
    text.append("\r\n");
  chunk_reader_.begin_chunk(text.size(), false, message_.data);
  chunk_reader_.read(text, message_.data);
}

void SmtpServerSession::finish_data() {
  command_ = "end of data";
  phase_ = Phase::commands;
  if (data_reader_.verdict() == DataVerdict::acceptable) {
    phase_ = Phase::storing;
    return;
  }
  reject(content_refusal(data_reader_.verdict(), data_reader_.refused_line()));
  reset_transaction();
}

// RFC 3030 2: every chunk is answered after its last octet; the LAST one is stored first.
void SmtpServerSession::finish_chunk() {
  phase_ = Phase::commands;
  if (auto refusal = std::exchange(chunk_refusal_, std::nullopt)) {
    reset_transaction();
    return reject(*refusal);
  }
  if (chunk_last_) chunk_reader_.finish(message_.data);
  if (chunk_reader_.verdict() != DataVerdict::acceptable) {
    reset_transaction();
    return reject(content_refusal(chunk_reader_.verdict(), chunk_reader_.refused_line()));
  }
  if (chunk_last_) {
    phase_ = Phase::storing;
    return;
  }
  std::string text = "Ok: ";
  append_number(text, chunk_size_);
  text.append(" octets received");
  reply({250, Status{2, 0, 0}, text});
}

void SmtpServerSession::execute(std::string_view line) {
  command_ = loggable_command(line);
  if (std::memchr(line.data(), '\0', line.size()) != nullptr)
    return reject({501, Status{5, 5, 4}, "Error: NUL not allowed in commands"});
  if (has_bare_line_ending_or_nul(line))
    return reject({500, Status{5, 5, 2}, "Error: bare CR or LF not allowed in commands"});
  execute(parse_command_line(line));
}

void SmtpServerSession::execute(const CommandLine& command) {
  switch (command.verb) {
    case Verb::ehlo:
      return on_ehlo(command.argument);
    case Verb::helo:
      return on_helo(command.argument);
    case Verb::mail:
      return on_mail(command.argument);
    case Verb::rcpt:
      return on_rcpt(command.argument);
    case Verb::data:
      return on_data(command.argument);
    case Verb::bdat:
      return on_bdat(command.argument);
    case Verb::rset:
      return on_rset(command.argument);
    case Verb::noop:
      return reply({250, Status{2, 0, 0}, "Ok"});
    case Verb::quit:
      return on_quit(command.argument);
    case Verb::vrfy:
      return on_vrfy(command.argument);
    case Verb::starttls:
      return on_starttls(command.argument);
    case Verb::auth:
      return on_auth(command.argument);
    case Verb::expn:
      return reject({502, Status{5, 5, 1}, "Error: command not implemented"});
    case Verb::help:
      return reply({214, Status{2, 0, 0},
                    "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY STARTTLS AUTH"});
    case Verb::unknown:
      return reject({500, Status{5, 5, 2}, "Error: command not recognized"});
  }
}

void SmtpServerSession::on_ehlo(std::string_view argument) {
  if (!is_valid_helo_argument(argument))
    return reject({501, Status{5, 5, 4}, "Syntax: EHLO hostname"});
  reset_transaction();
  greeted_ = Greeted::ehlo;
  message_.helo.assign(argument);
  append_ehlo_reply();
}

// The greeting line, then one line per extension: "250-" before the last, "250 " on it.
void SmtpServerSession::append_ehlo_reply() {
  std::string size = "SIZE ";
  append_number(size, context_.limits.max_message_size);
  std::vector<std::string_view> lines = {
      context_.hostname,     "PIPELINING", size,       "8BITMIME",
      "ENHANCEDSTATUSCODES", "SMTPUTF8",   "CHUNKING", "DSN"};
  if (context_.tls_available && !tls_active_) lines.push_back("STARTTLS");
  if (context_.auth_available && tls_active_) lines.push_back("AUTH PLAIN LOGIN");
  if (tls_active_) lines.push_back("REQUIRETLS");  // RFC 8689 4.1: only over TLS
  for (std::size_t i = 0; i < lines.size(); ++i) {
    output_.append(i + 1 < lines.size() ? "250-" : "250 ");
    append_text(output_, lines[i]);
    output_.append("\r\n");
  }
}

void SmtpServerSession::on_helo(std::string_view argument) {
  if (!is_valid_helo_argument(argument))
    return reject({501, Status{5, 5, 4}, "Syntax: HELO hostname"});
  reset_transaction();
  greeted_ = Greeted::helo;
  message_.helo.assign(argument);
  output_.append("250 ");
  append_text(output_, context_.hostname);
  output_.append("\r\n");
}

std::optional<SmtpServerSession::Reply> SmtpServerSession::mail_refusal() const {
  if (greeted_ == Greeted::no) return Reply{503, Status{5, 5, 1}, "Error: send HELO/EHLO first"};
  if (context_.require_tls && !tls_active_)
    return Reply{530, Status{5, 7, 0}, "Must issue a STARTTLS command first"};
  if (in_transaction_) return Reply{503, Status{5, 5, 1}, "Error: nested MAIL command"};
  return std::nullopt;
}

void SmtpServerSession::on_mail(std::string_view argument) {
  if (auto refusal = mail_refusal()) return reject(*refusal);
  auto parsed = parse_path_argument(argument, "FROM:");
  if (!parsed) {
    switch (parsed.error()) {
      case ArgumentError::syntax:
        return reject({501, Status{5, 5, 4}, "Syntax: MAIL FROM:<address>"});
      case ArgumentError::bad_address:
        return reject({501, Status{5, 1, 7}, "Bad sender address syntax"});
      case ArgumentError::address_too_long:
        return reject({501, Status{5, 1, 7}, "Sender address too long"});
    }
  }
  if (auto refusal = apply_mail_parameters(parsed->parameters)) return reject(*refusal);
  if (parsed->path.utf8 && !message_.smtputf8)
    return reject({553, Status{5, 6, 7}, "Non-ASCII sender address needs SMTPUTF8"});
  message_.sender = parsed->path.address();
  in_transaction_ = true;
  reply({250, Status{2, 1, 0}, "Ok"});
}

// Applies SIZE, BODY, SMTPUTF8, RET, ENVID, AUTH and REQUIRETLS (the extensions EHLO announced);
// any other parameter, or any parameter after HELO, is refused.
std::optional<SmtpServerSession::Reply> SmtpServerSession::apply_mail_parameters(
    const std::vector<EsmtpParameter>& parameters) {
  message_.body = BodyType::unspecified;
  message_.smtputf8 = false;
  message_.require_tls = false;
  message_.dsn = {};
  declared_size_.reset();
  bool seen_size = false, seen_body = false, seen_smtputf8 = false, seen_ret = false,
       seen_envid = false, seen_auth = false, seen_requiretls = false;
  auto first_time = [](bool& seen) { return !std::exchange(seen, true); };
  for (const auto& [keyword, value] : parameters) {
    if (greeted_ != Greeted::ehlo) return Reply{555, Status{5, 5, 4}, "MAIL parameters need EHLO"};
    if (equals_ignoring_case(keyword, "SIZE")) {
      if (!first_time(seen_size)) return Reply{501, Status{5, 5, 4}, "Duplicate SIZE"};
      auto size = parse_size_value(value);
      if (!size) return Reply{501, Status{5, 5, 4}, "Bad SIZE value"};
      if (*size > context_.limits.max_message_size)
        return Reply{552, Status{5, 3, 4}, "Message size exceeds fixed limit"};
      declared_size_ = static_cast<std::size_t>(*size);
    } else if (equals_ignoring_case(keyword, "BODY")) {
      if (!first_time(seen_body)) return Reply{501, Status{5, 5, 4}, "Duplicate BODY"};
      if (equals_ignoring_case(value, "7BIT")) {
        message_.body = BodyType::seven_bit;
      } else if (equals_ignoring_case(value, "8BITMIME")) {
        message_.body = BodyType::eight_bit_mime;
      } else {
        return Reply{501, Status{5, 5, 4}, "Bad BODY value"};
      }
    } else if (equals_ignoring_case(keyword, "SMTPUTF8")) {
      if (!first_time(seen_smtputf8)) return Reply{501, Status{5, 5, 4}, "Duplicate SMTPUTF8"};
      if (!value.empty()) return Reply{501, Status{5, 5, 4}, "SMTPUTF8 takes no value"};
      message_.smtputf8 = true;
    } else if (equals_ignoring_case(keyword, "RET")) {
      if (!first_time(seen_ret)) return Reply{501, Status{5, 5, 4}, "Duplicate RET"};
      auto ret = parse_dsn_ret(value);
      if (!ret) return Reply{501, Status{5, 5, 4}, "Bad RET value"};
      message_.dsn.ret = *ret;
    } else if (equals_ignoring_case(keyword, "ENVID")) {
      if (!first_time(seen_envid)) return Reply{501, Status{5, 5, 4}, "Duplicate ENVID"};
      auto envid = parse_dsn_envid(value);
      if (!envid) return parameter_refusal(envid.error(), "ENVID");
      message_.dsn.envid = std::move(*envid);
    } else if (equals_ignoring_case(keyword, "REQUIRETLS") && tls_active_) {
      if (!first_time(seen_requiretls)) return Reply{501, Status{5, 5, 4}, "Duplicate REQUIRETLS"};
      if (!value.empty()) return Reply{501, Status{5, 5, 4}, "REQUIRETLS takes no value"};
      message_.require_tls = true;
    } else if (equals_ignoring_case(keyword, "AUTH") && context_.auth_available) {
      // RFC 4954 5: the submitter's identity; mxrelay does not trust it, only checks it.
      if (!first_time(seen_auth)) return Reply{501, Status{5, 5, 4}, "Duplicate AUTH"};
      if (value != "<>")
        if (auto identity = decode_xtext(value); !identity || identity->empty())
          return parameter_refusal(identity ? DsnError::bad_value : identity.error(), "AUTH");
    } else {
      return Reply{555, Status{5, 5, 4}, "Unsupported MAIL parameter"};
    }
  }
  return std::nullopt;
}

// Applies NOTIFY and ORCPT (RFC 3461); any other parameter is refused.
std::optional<SmtpServerSession::Reply> SmtpServerSession::apply_rcpt_parameters(
    const std::vector<EsmtpParameter>& parameters, queue::RecipientDsn& dsn) const {
  bool seen_notify = false, seen_orcpt = false;
  auto first_time = [](bool& seen) { return !std::exchange(seen, true); };
  for (const auto& [keyword, value] : parameters) {
    if (greeted_ != Greeted::ehlo) return Reply{555, Status{5, 5, 4}, "RCPT parameters need EHLO"};
    if (equals_ignoring_case(keyword, "NOTIFY")) {
      if (!first_time(seen_notify)) return Reply{501, Status{5, 5, 4}, "Duplicate NOTIFY"};
      auto notify = parse_dsn_notify(value);
      if (!notify) return Reply{501, Status{5, 5, 4}, "Bad NOTIFY value"};
      dsn.notify = *notify;
    } else if (equals_ignoring_case(keyword, "ORCPT")) {
      if (!first_time(seen_orcpt)) return Reply{501, Status{5, 5, 4}, "Duplicate ORCPT"};
      if (auto parsed = parse_dsn_orcpt(value, dsn); !parsed)
        return parameter_refusal(parsed.error(), "ORCPT");
    } else {
      return Reply{555, Status{5, 5, 4}, "Unsupported RCPT parameter"};
    }
  }
  return std::nullopt;
}

void SmtpServerSession::on_rcpt(std::string_view argument) {
  if (!in_transaction_) return reject({503, Status{5, 5, 1}, "Error: need MAIL command"});
  if (chunking_) return reject({503, Status{5, 5, 1}, "Error: RCPT after BDAT"});
  auto parsed = parse_path_argument(argument, "TO:");
  if (!parsed) {
    switch (parsed.error()) {
      case ArgumentError::syntax:
        return reject({501, Status{5, 5, 4}, "Syntax: RCPT TO:<address>"});
      case ArgumentError::bad_address:
        return reject({501, Status{5, 1, 3}, "Bad recipient address syntax"});
      case ArgumentError::address_too_long:
        return reject({501, Status{5, 1, 3}, "Recipient address too long"});
    }
  }
  if (parsed->path.is_null()) return reject({501, Status{5, 1, 3}, "Bad recipient address syntax"});
  queue::RecipientDsn dsn;
  if (auto refusal = apply_rcpt_parameters(parsed->parameters, dsn)) return reject(*refusal);
  if (parsed->path.utf8 && !message_.smtputf8)
    return reject({553, Status{5, 6, 7}, "Non-ASCII recipient address needs SMTPUTF8"});
  if (message_.recipients.size() >= context_.limits.max_recipients)
    return reply({452, Status{4, 5, 3}, "Error: too many recipients"});
  if (!context_.relay_allowed && authenticated_user_.empty())
    return reject({554, Status{5, 7, 1}, "Relay access denied"});
  if (context_.recipient_policy) {
    if (auto refusal = context_.recipient_policy(parsed->path.address()))
      return reject({refusal->reply_code, refusal->status, refusal->reason});
  }
  message_.recipients.push_back(parsed->path.address());
  message_.recipient_dsn.push_back(std::move(dsn));
  reply({250, Status{2, 1, 5}, "Ok"});
}

void SmtpServerSession::on_data(std::string_view argument) {
  if (!argument.empty()) return reject({501, Status{5, 5, 4}, "Syntax: DATA"});
  if (!in_transaction_) return reject({503, Status{5, 5, 1}, "Error: need MAIL command"});
  if (message_.recipients.empty())
    return reject({503, Status{5, 5, 1}, "Error: need RCPT command"});
  if (chunking_) return reject({503, Status{5, 5, 1}, "Error: DATA not allowed after BDAT"});
  const ServerLimits& limits = context_.limits;
  data_reader_.start(
      DataLimits{limits.max_message_size, limits.max_text_line, limits.max_hops},
      context_.normalize_bare_newlines ? BareLineEndings::normalize : BareLineEndings::reject);
  message_.data.clear();
  std::size_t expected = declared_size_.value_or(kInitialReservation);
  message_.data.reserve(std::min({expected, limits.max_message_size, kMaxReservation}));
  output_.append("354 End data with <CR><LF>.<CR><LF>\r\n");
  phase_ = Phase::data;
}

std::optional<SmtpServerSession::Reply> SmtpServerSession::chunk_refusal() const {
  if (!in_transaction_) return Reply{503, Status{5, 5, 1}, "Error: need MAIL command"};
  if (message_.recipients.empty()) return Reply{503, Status{5, 5, 1}, "Error: need RCPT command"};
  return std::nullopt;
}

// RFC 3030 2. A chunk is always read to its end, even when refused, so its octets are
// never taken for commands; a malformed size leaves no way to find the end, so the
// session closes.
void SmtpServerSession::on_bdat(std::string_view argument) {
  auto chunk = parse_chunk_argument(argument);
  if (!chunk) {
    reply({501, Status{5, 5, 4}, "Syntax: BDAT chunk-size [LAST]"});
    phase_ = Phase::closing;
    return;
  }
  chunk_refusal_ = chunk_refusal();
  if (!chunk_refusal_ && !std::exchange(chunking_, true)) {
    const ServerLimits& limits = context_.limits;
    chunk_reader_.start(DataLimits{limits.max_message_size, limits.max_text_line, limits.max_hops});
    message_.data.clear();
    chunk_pending_cr_ = false;
  }
  chunk_reader_.begin_chunk(chunk->size, chunk_refusal_.has_value(), message_.data);
  chunk_size_ = chunk->size;
  chunk_remaining_ = chunk->size;
  chunk_last_ = chunk->last;
  phase_ = Phase::chunk;
}

void SmtpServerSession::on_rset(std::string_view argument) {
  if (!argument.empty()) return reject({501, Status{5, 5, 4}, "Syntax: RSET"});
  reset_transaction();
  reply({250, Status{2, 0, 0}, "Ok"});
}

void SmtpServerSession::on_quit(std::string_view argument) {
  if (!argument.empty()) return reject({501, Status{5, 5, 4}, "Syntax: QUIT"});
  reply({221, Status{2, 0, 0}, "Bye"});
  phase_ = Phase::closing;
}

void SmtpServerSession::on_vrfy(std::string_view argument) {
  if (argument.empty()) return reject({501, Status{5, 5, 4}, "Syntax: VRFY address"});
  reply({252, Status{2, 1, 5}, "Cannot VRFY user, but will accept message and attempt delivery"});
}

// RFC 3207 4. Whatever the client pipelined after this line was sent in the clear and is
// dropped unread (CVE-2011-0411).
void SmtpServerSession::on_starttls(std::string_view argument) {
  if (!context_.tls_available)
    return reject({502, Status{5, 5, 1}, "Error: command not implemented"});
  if (!argument.empty()) return reject({501, Status{5, 5, 4}, "Syntax: STARTTLS"});
  if (tls_active_) return reject({503, Status{5, 5, 1}, "Error: TLS already active"});
  if (greeted_ == Greeted::no) return reject({503, Status{5, 5, 1}, "Error: send HELO/EHLO first"});
  if (in_transaction_)
    return reject({503, Status{5, 5, 1}, "Error: STARTTLS not allowed in a mail transaction"});
  reply({220, Status{2, 0, 0}, "Ready to start TLS"});
  input_read_ = input_.size();
  dropping_long_line_ = false;
  phase_ = Phase::tls_requested;
}

std::optional<SmtpServerSession::Reply> SmtpServerSession::auth_refusal() const {
  if (!context_.auth_available)
    return Reply{502, Status{5, 5, 1}, "Error: authentication not enabled"};
  if (greeted_ != Greeted::ehlo) return Reply{503, Status{5, 5, 1}, "Error: send EHLO first"};
  if (!authenticated_user_.empty())
    return Reply{503, Status{5, 5, 1}, "Error: already authenticated"};
  if (in_transaction_)
    return Reply{503, Status{5, 5, 1}, "Error: AUTH not allowed in a mail transaction"};
  if (!tls_active_)
    return Reply{538, Status{5, 7, 11},
                 "Encryption required for requested authentication mechanism"};
  return std::nullopt;
}

void SmtpServerSession::on_auth(std::string_view argument) {
  if (auto refusal = auth_refusal()) return reject(*refusal);
  if (argument.empty())
    return reject({501, Status{5, 5, 4}, "Syntax: AUTH mechanism [initial-response]"});
  apply(sasl_.start(argument));
}

void SmtpServerSession::on_auth_response(std::string_view line) {
  command_ = "AUTH response";
  phase_ = Phase::commands;
  apply(sasl_.respond(line));
}

void SmtpServerSession::apply(SaslOutcome outcome) {
  if (auto* challenge = std::get_if<SaslChallenge>(&outcome)) {
    output_.append("334 ").append(challenge->base64).append("\r\n");
    phase_ = Phase::auth_response;
  } else if (auto* credentials = std::get_if<SaslCredentials>(&outcome)) {
    credentials_ = std::move(*credentials);
    phase_ = Phase::verify_requested;
  } else {
    switch (std::get<SaslFailure>(outcome)) {
      case SaslFailure::unknown_mechanism:
        return reject({504, Status{5, 5, 4}, "Unrecognized authentication type"});
      case SaslFailure::cancelled:
        return reject({501, Status{5, 0, 0}, "Authentication cancelled"});
      case SaslFailure::bad_encoding:
        return reject({501, Status{5, 5, 2}, "Cannot decode response"});
      case SaslFailure::bad_identity:
        return reject({535, Status{5, 7, 8}, "Authentication credentials invalid"});
    }
  }
}

// The reply refusing content that a DATA or BDAT reader judged bad; line: the line it is about.
SmtpServerSession::Reply SmtpServerSession::content_refusal(DataVerdict verdict, std::size_t line) {
  switch (verdict) {
    case DataVerdict::bare_line_ending:
      return {550, Status{5, 6, 2}, "Message rejected: bare CR, LF or NUL not allowed"};
    case DataVerdict::line_too_long:
      // RFC 5322 2.1.1: 998 characters at most; RFC 5321 4.5.3.1.6: 1000 octets with CRLF.
      refusal_text_ = "Message rejected: line " + std::to_string(line) + " is longer than " +
                      std::to_string(context_.limits.max_text_line - 2) + " characters";
      return {552, Status{5, 3, 4}, refusal_text_};
    case DataVerdict::message_too_big:
      return {552, Status{5, 3, 4}, "Message size exceeds fixed limit"};
    case DataVerdict::too_many_hops:
      return {554, Status{5, 4, 6}, "Too many hops: mail loop detected"};
    case DataVerdict::acceptable:
      break;
  }
  throw std::logic_error("no refusal for acceptable content");
}

// The reply refusing a DSN (or AUTH) parameter value.
SmtpServerSession::Reply SmtpServerSession::parameter_refusal(DsnError error,
                                                              std::string_view keyword) {
  if (error == DsnError::forbidden_octet)
    return {501, Status{5, 5, 4}, "CR, LF or NUL not allowed in parameters"};
  if (keyword == "ENVID") return {501, Status{5, 5, 4}, "Bad ENVID value"};
  if (keyword == "ORCPT") return {501, Status{5, 5, 4}, "Bad ORCPT value"};
  return {501, Status{5, 5, 4}, "Bad AUTH value"};
}

void SmtpServerSession::reply(const Reply& reply) {
  append_reply(output_, reply.code, reply.status, reply.text);
  if (reply.code < 400) return;
  rejections_.push_back(
      {command_,
       std::to_string(reply.code) + " " + reply.status.str() + " " + std::string(reply.text),
       in_transaction_ ? std::optional<std::string>(message_.sender) : std::nullopt});
}

// A refused command: after max_errors of them without a queued message, the session ends.
void SmtpServerSession::reject(const Reply& refusal) {
  reply(refusal);
  if (++errors_ < context_.limits.max_errors) return;
  std::string text = context_.hostname + " Error: too many errors";
  append_reply(output_, 421, Status{4, 7, 0}, text);
  phase_ = Phase::closing;
}

void SmtpServerSession::reset_transaction() {
  in_transaction_ = false;
  chunking_ = false;
  declared_size_.reset();
  message_.sender.clear();
  message_.recipients.clear();
  message_.recipient_dsn.clear();
  message_.dsn = {};
  message_.body = BodyType::unspecified;
  message_.smtputf8 = false;
  if (message_.data.capacity() > kMaxIdleCapacity) {
    std::string().swap(message_.data);
  } else {
    message_.data.clear();
  }
}

std::string SmtpServerSession::take_output() {
  return std::exchange(output_, {});
}

}  // namespace mxrelay::mta
