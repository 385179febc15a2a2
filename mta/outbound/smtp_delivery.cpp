// mta/outbound: the Asio driver of SmtpClientSession for one message over the route's candidates.
#include "mta/outbound/smtp_delivery.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/log_line.hpp"
#include "mta/io/asio_helpers.hpp"
#include "mta/mta_sts/sts_tls_rule.hpp"
#include "mta/outbound/candidate_plan.hpp"
#include "mta/outbound/client_connection.hpp"
#include "mta/outbound/dane_lookup.hpp"
#include "mta/protocol/smtp_client_session.hpp"
#include "mta/shaping/throttle_rule_match.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

std::chrono::steady_clock::duration timeout_for(SmtpClientSession::Wait wait,
                                                const conf::DeliveryConfig& config) {
  using Wait = SmtpClientSession::Wait;
  switch (wait) {
    case Wait::greeting:
      return config.greeting_timeout;
    case Wait::data_init:
      return config.data_timeout;
    case Wait::data_block:
      return config.data_block_timeout;
    case Wait::final_dot:
      return config.final_dot_timeout;
    case Wait::ehlo:
    case Wait::mail:
    case Wait::rcpt:
    case Wait::quit:
      return config.command_timeout;
  }
  return config.command_timeout;
}

// The attempt's source address when of the destination's family, else the first configured
// one of that family; none: the kernel chooses.
std::optional<core::IpAddress> source_address_for(const DeliveryRequest& request,
                                                  const conf::DeliveryConfig& config,
                                                  const core::IpAddress& destination) {
  if (request.source && request.source->is_v6() == destination.is_v6()) return request.source;
  for (const auto& source : conf::configured_sources(config))
    if (source.is_v6() == destination.is_v6()) return source;
  return std::nullopt;
}

// Performs the TLS handshake the session asked for (STARTTLS got its 220), after checking
// that the server sent nothing more before it; tells the session how it went.
asio::awaitable<void> start_tls(OpenConnection& open, std::chrono::steady_clock::duration timeout,
                                ClientTlsContexts& tls_contexts, TlsPolicy policy) {
  if (!open.session.begin_tls(open.connection.bytes_waiting())) co_return;
  std::expected<ClientTlsInfo, std::string> info;
  if (open.tlsa.empty())
    info = co_await open.connection.handshake(tls_contexts.context(), open.remote.host,
                                              certificate_must_verify(policy), timeout);
  else
    info = co_await open.connection.handshake_dane(tls_contexts.context(), open.remote.host,
                                                   open.tlsa, timeout);
  if (info) {
    open.session.on_tls_established(info->str());
    open.tls = std::move(*info);
  } else {
    open.session.on_tls_failed(info.error());
  }
}

// Performs the session's steps until it is ready for a message, has a message's result, or
// is closed; returns which.
asio::awaitable<SmtpClientSession::Step::Kind> drive(OpenConnection& open,
                                                     const conf::DeliveryConfig& config,
                                                     ClientTlsContexts& tls_contexts,
                                                     TlsPolicy policy) {
  using Kind = SmtpClientSession::Step::Kind;
  std::array<char, 16 * 1024> buffer;
  for (;;) {
    auto step = open.session.next();
    switch (step.kind) {
      case Kind::send: {
        auto status = co_await open.connection.write(step.bytes, timeout_for(step.wait, config));
        if (status == IoStatus::timeout) open.session.on_timeout();
        if (status == IoStatus::failed) open.session.on_eof();
        break;
      }
      case Kind::need_input: {
        auto read = co_await open.connection.read_some(buffer, timeout_for(step.wait, config));
        if (read.status == IoStatus::ok)
          open.session.on_input(std::string_view(buffer.data(), read.bytes));
        else if (read.status == IoStatus::timeout)
          open.session.on_timeout();
        else
          open.session.on_eof();
        break;
      }
      case Kind::start_tls:
        co_await start_tls(open, timeout_for(step.wait, config), tls_contexts, policy);
        break;
      case Kind::ready:
      case Kind::message_done:
      case Kind::closed:
        co_return step.kind;
    }
  }
}

// Sends one message over a ready session, timing it in the report; the result is empty when
// the connection failed before the message could be started.
asio::awaitable<std::optional<MessageResult>> send_message(OpenConnection& open,
                                                           const OutboundMessage& message,
                                                           const conf::DeliveryConfig& config,
                                                           ClientTlsContexts& tls_contexts,
                                                           DeliveryReport& report) {
  using Kind = SmtpClientSession::Step::Kind;
  ++open.messages_sent;
  const auto started = std::chrono::steady_clock::now();
  report.transmission_start = started;
  open.session.start_message(message);
  auto kind = co_await drive(open, config, tls_contexts, open.key.tls);
  report.transmission = std::chrono::steady_clock::now() - started;
  if (kind != Kind::message_done) co_return std::nullopt;
  co_return open.session.take_result();
}

// QUIT and close; used for connections that may carry no more messages and by the pool.
asio::awaitable<void> quit_connection(OpenConnection& open) {
  using Kind = SmtpClientSession::Step::Kind;
  std::array<char, 512> buffer;
  if (open.session.ready()) open.session.quit();
  for (;;) {
    auto step = open.session.next();
    if (step.kind == Kind::send) {
      auto status = co_await open.connection.write(step.bytes, open.quit_timeout);
      if (status != IoStatus::ok) open.session.on_eof();
    } else if (step.kind == Kind::need_input) {
      auto read = co_await open.connection.read_some(buffer, open.quit_timeout);
      if (read.status == IoStatus::ok)
        open.session.on_input(std::string_view(buffer.data(), read.bytes));
      else
        open.session.on_eof();
    } else {
      break;
    }
  }
  open.connection.close();
}

const char* tls_outcome(const OpenConnection& open) {
  if (open.tls && open.tls->verified && !open.tlsa.empty()) return "dane_verified";
  if (open.tls) return open.tls->verified ? "verified" : "unverified";
  if (open.fell_back) return "fallback";
  if (open.session.tls_failed()) return "failed";
  return "plaintext";
}

queue::DeliveryOutcome outcome_for(std::size_t index, std::size_t position,
                                   const MessageResult& result, const queue::RemoteServer& remote) {
  queue::DeliveryOutcome out;
  if (result.delivered(position)) {
    out.index = index;
    out.status = queue::DeliveryStatus::sent;
    out.reply_code = result.final_reply.code;
    out.enhanced_status = result.final_reply.status.value_or(core::EnhancedStatus{2, 0, 0});
    out.scope = FailureScope::none;
    out.remote_reply = result.final_reply.str();
    out.reason = out.remote_reply;
  } else {
    const auto& rejection = result.recipients[position].rejection;
    out = queue::DeliveryOutcome::from_failure(index, rejection ? *rejection : *result.failure,
                                               rejection ? FailureScope::recipient : result.scope);
  }
  out.remote = remote;
  return out;
}

std::vector<std::string> transcript_lines(const Transcript& transcript) {
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < transcript.size(); ++i) {
    auto entry = transcript[i];
    lines.push_back((entry.direction == Transcript::Direction::client ? "C: " : "S: ") +
                    std::string(entry.text));
  }
  return lines;
}

// The queue's DSN parameters as the client passes them on.
void copy_dsn(const DeliveryRequest& request, OutboundMessage& message) {
  const auto& envelope = request.envelope;
  message.dsn.ret = envelope.ret;
  message.dsn.envid = envelope.envid;
  if (envelope.recipient_dsn.empty()) return;
  for (auto index : request.recipients)
    message.recipient_dsn.push_back(queue::recipient_dsn_of(envelope, index));
}

std::string default_destination(const DeliveryRequest& request) {
  if (request.recipients.empty()) return {};
  const auto& recipient = request.envelope.recipients[request.recipients.front()];
  const auto at = recipient.rfind('@');
  return at == std::string::npos ? std::string() : recipient.substr(at + 1);
}

// Which health problem a finished session shows, if any.
std::optional<HealthProblem> problem_of(const SmtpClientSession& session,
                                        const std::optional<MessageResult>& result) {
  if (session.tls_failed()) return HealthProblem::tls_failure;
  if (!result) return HealthProblem::greeting_temporary;
  if (result->scope == FailureScope::connection) return HealthProblem::greeting_temporary;
  if (result->scope == FailureScope::destination) return HealthProblem::mail_temporary;
  if (result->scope == FailureScope::message && result->failure && !result->failure->is_permanent())
    return HealthProblem::mail_temporary;
  return std::nullopt;
}

// The candidates to try, in order: those the health admits; when it admits none, the least
// recently failed one.
std::vector<const resolver::Candidate*> admitted_candidates(
    const std::vector<resolver::Candidate>& candidates, const std::string& destination,
    AddressHealth& health, DeliveryReport& report) {
  const auto now = AddressHealth::Clock::now();
  std::vector<const resolver::Candidate*> admitted;
  const resolver::Candidate* least_recently_failed = nullptr;
  std::optional<AddressHealth::Clock::time_point> oldest_failure;
  for (const auto& candidate : candidates) {
    if (health.admit(destination, candidate.address, now) != Admission::skip) {
      admitted.push_back(&candidate);
      continue;
    }
    const auto failed_at = health.last_failure(destination, candidate.address);
    if (!least_recently_failed || (failed_at && oldest_failure && *failed_at < *oldest_failure)) {
      least_recently_failed = &candidate;
      oldest_failure = failed_at;
    }
    for (const auto& unhealthy : health.unhealthy(destination, now))
      if (unhealthy.address == candidate.address)
        report.skipped.push_back(candidate.address.str() + ": " + unhealthy.last_reason);
  }
  if (admitted.empty() && least_recently_failed) admitted.push_back(least_recently_failed);
  return admitted;
}

// The DKIM-Signature fields for `content`, noting in the report what was signed. A signing
// error sends the message unsigned: it is counted and logged, never lost.
std::string sign_content(const dkim::DkimSigner& signer, std::string_view content,
                         DeliveryReport& report) {
  report.dkim_signatures.clear();
  report.dkim_unsigned.reset();
  report.dkim_error = false;
  try {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    auto result =
        signer.sign(content, std::chrono::duration_cast<std::chrono::seconds>(now).count());
    report.dkim_signatures = std::move(result.signatures);
    report.dkim_unsigned = result.unsigned_reason;
    return std::move(result.fields);
  } catch (const std::exception& error) {
    report.dkim_error = true;
    core::LogLine("dkim_error", core::Severity::error).kv("reason", error.what()).emit();
    return {};
  }
}

// The message to send, built from the request.
struct Outbound {
  std::string data;
  OutboundMessage message;
  std::string destination;
};

void fill_outbound(const DeliveryRequest& request, Outbound& out) {
  out.data = std::string(request.body);
  out.message.sender = request.envelope.sender;
  for (auto index : request.recipients)
    out.message.recipients.push_back(request.envelope.recipients[index]);
  out.message.data = &out.data;
  copy_dsn(request, out.message);
  out.message.require_tls = request.envelope.require_tls;
  out.destination =
      request.destination.empty() ? default_destination(request) : std::string(request.destination);
}

void report_outcomes(const DeliveryRequest& request, const OpenConnection& open,
                     const MessageResult& result, DeliveryReport& report) {
  report.remote = open.remote;
  report.tls.used = open.tls.has_value();
  report.tls.fell_back = open.fell_back;
  if (open.tls) {
    report.tls.version = open.tls->version;
    report.tls.cipher = open.tls->cipher;
    report.tls.verification = open.tls->verification;
  }
  for (std::size_t position = 0; position < request.recipients.size(); ++position)
    report.recipients.push_back(
        outcome_for(request.recipients[position], position, result, open.remote));
  if (result.scope != FailureScope::none)
    report.transcript = transcript_lines(open.session.transcript());
}

// Every recipient fails alike, at the last address tried.
void report_failure(const DeliveryRequest& request, const core::Failure& failure,
                    FailureScope scope, DeliveryReport& report) {
  for (auto index : request.recipients) {
    auto outcome = queue::DeliveryOutcome::from_failure(index, failure, scope);
    outcome.remote = report.remote;
    report.recipients.push_back(std::move(outcome));
  }
}

// After a message: park the session for the next message when it may carry one, else QUIT.
asio::awaitable<void> release_connection(std::unique_ptr<OpenConnection> open,
                                         const DeliveryRequest& request,
                                         const conf::DeliveryConfig& config,
                                         DeliveryContext& context) {
  auto kind = co_await drive(*open, config, context.tls_contexts(), open->key.tls);
  const auto* limits = request.connections;
  if (kind == SmtpClientSession::Step::Kind::ready && limits &&
      open->messages_sent < limits->max_messages_per_connection) {
    context.pool().park(std::move(open), limits->idle_time);
    co_return;
  }
  co_await quit_connection(*open);
}

ConnectionKey key_for(const DeliveryRequest& request, const Outbound& out,
                      const resolver::Candidate& candidate, TlsPolicy policy,
                      const std::string& helo_name) {
  return {out.destination,    candidate.address,
          candidate.port,     policy,
          helo_name,          request.implicit_tls,
          request.auth_table, request.source ? request.source->str() : std::string()};
}

// Whether one of the session's replies (the failure, or a recipient's refusal) is a throttling
// one of the site; notes it in the report.
bool throttled(const DeliveryRequest& request, const std::optional<MessageResult>& result,
               const std::optional<core::Failure>& failure, DeliveryReport& report) {
  if (request.throttle_rules.empty()) return false;
  std::vector<const std::string*> replies;
  if (failure) replies.push_back(&failure->remote_reply);
  if (result)
    for (const auto& recipient : result->recipients)
      if (recipient.rejection) replies.push_back(&recipient.rejection->remote_reply);
  for (const auto* reply : replies)
    if (const auto* rule = matching_rule(request.throttle_rules, *reply)) {
      report.throttle_rule = rule;
      report.throttle_reply = *reply;
      return true;
    }
  return false;
}

// AUTH refused, or impossible with what the server offers: the credentials or the
// configuration are at fault, not the address.
bool auth_failed(AuthOutcome outcome) {
  return outcome == AuthOutcome::refused || outcome == AuthOutcome::unavailable;
}

// An idle session for one of the admitted candidates, or a slot for a new connection (a
// slot outside the pool when the request uses none).
asio::awaitable<ConnectionGrant> acquire(const DeliveryRequest& request, const Outbound& out,
                                         const std::vector<const resolver::Candidate*>& admitted,
                                         TlsPolicy policy, const std::string& helo_name,
                                         DeliveryContext& context, bool reuse_idle) {
  if (!request.connections) co_return ConnectionGrant(ConnectionSlot());
  ConnectionRequest wanted{out.destination,
                           request.connections->label,
                           request.connections->per_destination,
                           request.connections->total,
                           {},
                           request.connections->site,
                           request.connections->site_limit,
                           request.source ? request.source->str() : std::string()};
  if (reuse_idle)
    for (const auto* candidate : admitted)
      wanted.keys.push_back(key_for(request, out, *candidate, policy, helo_name));
  auto grant = co_await context.pool().acquire(std::move(wanted));
  co_return grant;
}

// A parked session may carry the message under the policy in force now.
bool sts_admits(const DeliveryRequest& request, const OpenConnection& open) {
  return !sts::apply_policy(request.sts, open.key.tls, !open.tlsa.empty(), open.remote.host)
              .failure;
}

// TLS-RPT: why DANE refused a candidate.
tlsrpt::Refusal dane_refusal(const DaneRequirement& dane) {
  switch (dane.basis) {
    case TlsaBasis::lookup_failed:
      return tlsrpt::Refusal::tlsa_lookup_failed;
    case TlsaBasis::unusable:
      return tlsrpt::Refusal::tlsa_unusable;
    case TlsaBasis::insecure:
    case TlsaBasis::usable:
      break;
  }
  return tlsrpt::Refusal::dane_insecure;
}

void note_refusal(tlsrpt::Refusal refusal, bool dane, const resolver::Candidate& candidate,
                  DeliveryReport& report) {
  if (const auto result = tlsrpt::classify_refusal(refusal))
    report.tls_sessions.push_back(
        {*result, dane, {}, candidate.host, candidate.address.str(), std::string()});
}

// TLS-RPT: the outcome of a new session once its setup ended (ready, or failed).
// sts_unlisted: a testing policy does not list the MX host.
void note_session(const DeliveryRequest& request, const DaneRequirement& dane, TlsPolicy policy,
                  bool sts_unlisted, SmtpClientSession::Step::Kind setup,
                  const OpenConnection& open, DeliveryReport& report) {
  const auto& failure = open.session.connection_failure();
  tlsrpt::SessionFacts facts;
  facts.tls_wanted = policy != TlsPolicy::none;
  facts.verification_wanted =
      (request.sts && request.sts->policy.mode != sts::Mode::none) || dane.authenticates();
  facts.dane = dane.authenticates();
  facts.hello_done =
      setup == SmtpClientSession::Step::Kind::ready || (failure && failure->status.subject == 7);
  facts.tls_established = open.tls.has_value();
  facts.tls_verified = open.tls && open.tls->verified;
  facts.handshake_failed = open.session.tls_failed();
  facts.verify_error = open.connection.verify_result();
  facts.mx_unlisted = sts_unlisted;
  if (const auto result = tlsrpt::classify_session(facts))
    report.tls_sessions.push_back({*result, dane.authenticates(), dane.tlsa, open.remote.host,
                                   open.remote.address, open.connection.local_address()});
}

// Under a testing policy, a session that enforce would have refused (no TLS, or a
// certificate not valid for the MX name) is reported.
void note_sts_testing(const DeliveryRequest& request, const DaneRequirement& dane,
                      const OpenConnection& open, DeliveryReport& report) {
  if (!request.sts || request.sts->policy.mode != sts::Mode::testing || dane.authenticates())
    return;
  if (!open.tls)
    report.sts_testing_failures.push_back(open.remote.host + ": no TLS session");
  else if (!open.tls->verified)
    report.sts_testing_failures.push_back(open.remote.host + ": certificate " +
                                          open.tls->verification);
}

// REQUIRETLS (RFC 8689 section 4.2.1): the next hops found unable to carry the message (no
// verified TLS, or REQUIRETLS not offered) are passed over for the route's other hosts; the
// message is returned to its sender only when none of them can carry it.
class UnqualifiedHops {
 public:
  void note(const ConnectionKey& key, const core::Failure& why, DeliveryReport& report) {
    hops_.emplace_back(key.address, key.port);
    failure_ = why;
    report.skipped.push_back(key.address.str() + ": " + why.reason);
  }
  bool contains(const resolver::Candidate& candidate) const {
    return std::find(hops_.begin(), hops_.end(), std::pair(candidate.address, candidate.port)) !=
           hops_.end();
  }
  // The refusal to report when every one of the route's `candidates` was unqualified.
  const core::Failure* refusal_for_all(std::size_t candidates) const {
    return failure_ && hops_.size() >= candidates ? &*failure_ : nullptr;
  }

 private:
  std::vector<std::pair<core::IpAddress, std::uint16_t>> hops_;
  std::optional<core::Failure> failure_;
};

}  // namespace

namespace {
AddressHealthSettings health_settings(const conf::DeliveryConfig& config) {
  AddressHealthSettings out;
  out.failure_threshold = config.health_failure_threshold;
  out.cool_down = config.health_cool_down;
  return out;
}
}  // namespace

DeliveryContext::DeliveryContext(const conf::DeliveryConfig& config)
    : health_(health_settings(config)), tls_contexts_(config.tls_ca_file), pool_(quit_connection) {}

void DeliveryContext::reconfigure(const conf::DeliveryConfig& config) {
  health_.set_settings(health_settings(config));
  tls_contexts_.set_ca_file(config.tls_ca_file);
}

asio::awaitable<DeliveryReport> deliver(asio::any_io_executor executor,
                                        const std::vector<resolver::Candidate>& candidates,
                                        DeliveryRequest request, const conf::DeliveryConfig& config,
                                        std::string helo_name, DeliveryContext& context,
                                        TlsPolicy tls_policy) {
  Outbound out;
  fill_outbound(request, out);
  auto& health = context.health();
  DeliveryReport report;
  if (auto signer = context.signer(); signer && !signer->empty())
    out.message.sign = [signer, &report](std::string_view content) {
      return sign_content(*signer, content, report);
    };
  report.tls.policy = tls_policy;
  auto last_failure =
      core::Failure::temporary(451, {4, 4, 4}, "no delivery candidate could be reached");
  if (request.credentials && tls_policy == TlsPolicy::none) {
    report.auth = AuthOutcome::needs_tls;
    report_failure(
        request,
        core::Failure::temporary(451, {4, 7, 4},
                                 "TLS is required to send the AUTH credentials of [auth." +
                                     request.auth_table + "], but the transport entry for " +
                                     out.destination + " has tls = none; not connecting"),
        FailureScope::destination, report);
    co_return report;
  }
  const auto admitted = admitted_candidates(candidates, out.destination, health, report);
  UnqualifiedHops unqualified;

  auto grant = co_await acquire(request, out, admitted, tls_policy, helo_name, context, true);
  if (request.site_suspended) report.site_held_until = request.site_suspended();
  if (auto* reused = std::get_if<std::unique_ptr<OpenConnection>>(&grant)) {
    auto open = std::move(*reused);
    if (report.site_held_until) {
      co_await release_connection(std::move(open), request, config, context);
      co_return report;
    }
    // Bytes that arrived while it was idle answer no command: the connection is out of step
    // (or closing) and is not used; nor is one to an MX the MTA-STS policy (it may be new)
    // does not admit.
    std::optional<MessageResult> result;
    if (open->connection.bytes_waiting() == 0 && sts_admits(request, *open)) {
      ++report.connections_reused;
      result = co_await send_message(*open, out.message, config, context.tls_contexts(), report);
      if (open->session.protocol_error()) ++report.protocol_errors;
      if (result) throttled(request, result, result->failure, report);
    }
    if (result && !result->next_hop_unqualified && result->scope != FailureScope::connection) {
      report_outcomes(request, *open, *result, report);
      co_await release_connection(std::move(open), request, config, context);
      co_return report;
    }
    if (result && result->next_hop_unqualified) {
      // Not this next hop (REQUIRETLS): the message goes over a fresh connection to another.
      unqualified.note(open->key, *result->failure, report);
      co_await quit_connection(*open);
    } else {
      // The parked connection had died (or was out of step): the message goes once over a
      // fresh connection.
      open->connection.close();
      if (report.throttle_rule && result && result->failure) {
        report_failure(request, *result->failure, FailureScope::destination, report);
        co_return report;
      }
    }
    open.reset();
    grant = co_await acquire(request, out, admitted, tls_policy, helo_name, context, false);
  }
  if (report.site_held_until) co_return report;
  auto slot = std::move(std::get<ConnectionSlot>(grant));
  if (request.site_lease && !slot.holds_lease()) {
    auto lease = co_await request.site_lease();
    if (!lease) {
      report.site_held_until = lease.error().until;
      report.site_held_reason = std::move(lease.error().reason);
      co_return report;
    }
    slot.hold(std::move(*lease));
  }

  CandidatePlan plan(admitted.size(), !request.credentials && !request.implicit_tls);
  auto policy = tls_policy;
  DaneRequirement dane;
  bool sts_enforced = false;
  bool sts_unlisted = false;
  while (const auto planned = plan.next()) {
    const auto* candidate = admitted[planned->candidate];
    const queue::RemoteServer remote{candidate->host, candidate->address.str(), candidate->port};
    const auto relay = remote.relay();
    if (unqualified.contains(*candidate)) {
      plan.record(AttemptEnd::unusable, policy);
      continue;
    }
    report.remote = remote;
    if (planned->plaintext_retry) {
      policy = TlsPolicy::none;
      sts_enforced = false;
    } else {
      policy = tls_policy;
      dane = {};
      if (uses_dane(tls_policy)) {
        if (!request.dns || !request.route)
          throw std::logic_error("a dane delivery needs the resolver and the route");
        dane = co_await dane_requirement(*request.dns, tls_policy, *request.route, *candidate);
        if (dane.failure) {
          note_refusal(dane_refusal(dane), true, *candidate, report);
          last_failure = *dane.failure;
          plan.record(AttemptEnd::unusable, policy);
          continue;
        }
        policy = dane.session_policy;
      }
      auto rule = sts::apply_policy(request.sts, policy, dane.authenticates(), candidate->host);
      if (rule.failure) {
        note_refusal(tlsrpt::Refusal::sts_mx_not_listed, false, *candidate, report);
        ++report.sts_enforced_failures;
        last_failure = *rule.failure;
        plan.record(AttemptEnd::unusable, policy);
        continue;
      }
      sts_unlisted = !rule.testing_failure.empty();
      if (sts_unlisted)
        report.sts_testing_failures.push_back(candidate->host + ": " + rule.testing_failure);
      policy = rule.session_policy;
      sts_enforced = rule.enforced;
    }
    auto open = std::make_unique<OpenConnection>(
        std::move(slot), key_for(request, out, *candidate, tls_policy, helo_name), executor,
        ClientSessionContext{helo_name, relay, policy, config.use_bdat, request.credentials,
                             request.implicit_tls});
    open->remote = remote;
    open->fell_back = planned->plaintext_retry;
    if (dane.authenticates() && policy != TlsPolicy::none) open->tlsa = dane.tlsa;
    open->quit_timeout = config.command_timeout;
    if (const auto source = source_address_for(request, config, candidate->address)) {
      auto bound = open->connection.bind_source(to_asio(*source));
      if (!bound) {
        // Our own address is at fault, not the destination's: no health record.
        slot = std::move(open->slot);
        last_failure = core::Failure::temporary(451, {4, 4, 0}, bound.error());
        plan.record(AttemptEnd::unusable, policy);
        continue;
      }
    }
    auto connected = co_await open->connection.connect(
        tcp::endpoint(to_asio(candidate->address), candidate->port), config.connect_timeout);
    if (connected.first != IoStatus::ok) {
      slot = std::move(open->slot);
      last_failure =
          core::Failure::temporary(451, {4, 4, 1}, "connect to " + relay + ": " + connected.second);
      if (health.record_failure(out.destination, candidate->address,
                                connected.first == IoStatus::timeout
                                    ? HealthProblem::connect_timeout
                                    : HealthProblem::connect_failed,
                                last_failure.reason, AddressHealth::Clock::now()))
        report.health_opened.emplace_back(candidate->address, last_failure.reason);
      plan.record(AttemptEnd::unusable, policy);
      continue;
    }
    ++report.connections_opened;
    auto setup = co_await drive(*open, config, context.tls_contexts(), policy);
    report.tls_outcomes.push_back(tls_outcome(*open));
    note_sts_testing(request, dane, *open, report);
    if (!planned->plaintext_retry)
      note_session(request, dane, policy, sts_unlisted, setup, *open, report);
    std::optional<MessageResult> result;
    if (setup == SmtpClientSession::Step::Kind::ready)
      result = co_await send_message(*open, out.message, config, context.tls_contexts(), report);
    if (open->session.protocol_error()) ++report.protocol_errors;
    report.auth = open->session.auth_outcome();
    if (const auto& refusal = open->session.auth_reply()) report.auth_reply = refusal->str();
    // Refused credentials say nothing about the address's health.
    const bool credentials_failed = auth_failed(report.auth);
    const auto problem = problem_of(open->session, result);
    const auto& failure = result ? result->failure : open->session.connection_failure();
    const bool throttling = throttled(request, result, failure, report);
    if (problem && !credentials_failed && !throttling) {
      auto reason = failure ? failure->str() : std::string("connection lost");
      if (health.record_failure(out.destination, candidate->address, *problem, reason,
                                AddressHealth::Clock::now()))
        report.health_opened.emplace_back(candidate->address, std::move(reason));
    } else if (!problem && health.record_success(out.destination, candidate->address))
      report.health_cleared.push_back(candidate->address);
    if (result && result->next_hop_unqualified) {
      unqualified.note(open->key, *result->failure, report);
      report.transcript = transcript_lines(open->session.transcript());
      co_await quit_connection(*open);
      slot = std::move(open->slot);
      plan.record(AttemptEnd::unusable, policy);
      continue;
    }
    if (result && result->scope != FailureScope::connection) {
      report_outcomes(request, *open, *result, report);
      co_await release_connection(std::move(open), request, config, context);
      co_return report;
    }
    if (failure) last_failure = *failure;
    if (failure && sts_enforced && failure->status.subject == 7) {
      ++report.sts_enforced_failures;
      last_failure = sts::enforced_failure(*request.sts, *failure);
    }
    report.transcript = transcript_lines(open->session.transcript());
    open->connection.close();
    if (throttling) {
      // The site said "slow down": its other addresses are the same provider.
      report_failure(request, last_failure, FailureScope::destination, report);
      co_return report;
    }
    slot = std::move(open->slot);
    plan.record(credentials_failed           ? AttemptEnd::credentials_refused
                : open->session.tls_failed() ? AttemptEnd::tls_failed
                                             : AttemptEnd::unusable,
                policy);
  }
  if (plan.stopped()) {
    report_failure(request, last_failure, FailureScope::destination, report);
    co_return report;
  }
  if (const auto* refusal = unqualified.refusal_for_all(candidates.size())) {
    report_failure(request, *refusal, FailureScope::message, report);
    co_return report;
  }
  report.destination_failed = true;
  report_failure(request, last_failure, FailureScope::destination, report);
  co_return report;
}

}  // namespace mxrelay::mta
