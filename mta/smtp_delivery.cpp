// mta: the Asio driver of SmtpClientSession for one message over the route's candidates.
#include "smtp_delivery.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <optional>

#include "asio_helpers.hpp"
#include "mta/client_tls.hpp"
#include "smtp_client_session.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;
using asio::ip::tcp;

const char* to_string(RecipientStatus status) {
  switch (status) {
    case RecipientStatus::sent:
      return "sent";
    case RecipientStatus::deferred:
      return "deferred";
    case RecipientStatus::bounced:
      return "bounced";
  }
  return "deferred";
}

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

struct SessionRun {
  std::optional<MessageResult> result;
  std::optional<ClientTlsInfo> tls;
};

// Runs the session over a connected socket: STARTTLS when it asks, one message, then QUIT.
// The result is empty when the connection failed before the message could be started.
asio::awaitable<SessionRun> run_session(ClientConnection& connection, SmtpClientSession& session,
                                        const OutboundMessage& message,
                                        const conf::DeliveryConfig& config,
                                        ClientTlsContexts& tls_contexts,
                                        const std::string& host_name, TlsPolicy policy) {
  std::array<char, 16 * 1024> buffer;
  SessionRun run;
  bool started = false;
  for (;;) {
    auto step = session.next();
    switch (step.kind) {
      case SmtpClientSession::Step::Kind::send: {
        auto status = co_await connection.write(step.bytes, timeout_for(step.wait, config));
        if (status == IoStatus::timeout) session.on_timeout();
        if (status == IoStatus::failed) session.on_eof();
        break;
      }
      case SmtpClientSession::Step::Kind::need_input: {
        auto read = co_await connection.read_some(buffer, timeout_for(step.wait, config));
        if (read.status == IoStatus::ok)
          session.on_input(std::string_view(buffer.data(), read.bytes));
        else if (read.status == IoStatus::timeout)
          session.on_timeout();
        else
          session.on_eof();
        break;
      }
      case SmtpClientSession::Step::Kind::start_tls: {
        if (!session.begin_tls(connection.bytes_waiting())) break;
        auto info = co_await connection.handshake(tls_contexts.context(), host_name,
                                                  certificate_must_verify(policy),
                                                  timeout_for(step.wait, config));
        if (info) {
          session.on_tls_established(info->str());
          run.tls = std::move(*info);
        } else {
          session.on_tls_failed(info.error());
        }
        break;
      }
      case SmtpClientSession::Step::Kind::ready:
        if (started) {
          session.quit();
        } else {
          session.start_message(message);
          started = true;
        }
        break;
      case SmtpClientSession::Step::Kind::message_done:
        run.result = session.take_result();
        break;
      case SmtpClientSession::Step::Kind::closed:
        co_return run;
    }
  }
}

RecipientResult outcome_for(std::size_t index, std::size_t position, const MessageResult& result) {
  if (result.delivered(position)) {
    auto dsn = result.final_reply.status.value_or(core::EnhancedStatus{2, 0, 0});
    return {index, RecipientStatus::sent, dsn.str(), result.final_reply.str()};
  }
  const auto& rejection = result.recipients[position].rejection;
  const auto& failure = rejection ? *rejection : *result.failure;
  return {index, failure.is_permanent() ? RecipientStatus::bounced : RecipientStatus::deferred,
          failure.status.str(), failure.reason};
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
  if (result->scope == FailureScope::site) return HealthProblem::mail_temporary;
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

}  // namespace

asio::awaitable<DeliveryReport> deliver(asio::any_io_executor executor,
                                        const std::vector<resolver::Candidate>& candidates,
                                        DeliveryRequest request, const conf::DeliveryConfig& config,
                                        std::string helo_name, DeliveryContext& context,
                                        TlsPolicy tls_policy) {
  std::string data(request.body);
  OutboundMessage message;
  message.sender = request.envelope.sender;
  for (auto index : request.recipients)
    message.recipients.push_back(request.envelope.recipients[index]);
  message.data = &data;
  copy_dsn(request, message);
  const std::string destination =
      request.destination.empty() ? default_destination(request) : std::string(request.destination);
  auto& health = context.health();

  DeliveryReport report;
  report.tls.policy = tls_policy;
  auto last_failure =
      core::Failure::temporary(451, {4, 4, 4}, "no delivery candidate could be reached");
  for (const auto* candidate : admitted_candidates(candidates, destination, health, report)) {
    report.relay =
        candidate->host + "[" + candidate->address.str() + "]:" + std::to_string(candidate->port);
    auto policy = tls_policy;
    bool fell_back = false;
    for (;;) {
      ClientConnection connection(executor);
      auto [connected, why] = co_await connection.connect(
          tcp::endpoint(to_asio(candidate->address), candidate->port), config.connect_timeout);
      if (connected != IoStatus::ok) {
        last_failure =
            core::Failure::temporary(451, {4, 4, 1}, "connect to " + report.relay + ": " + why);
        health.record_failure(destination, candidate->address,
                              connected == IoStatus::timeout ? HealthProblem::connect_timeout
                                                             : HealthProblem::connect_failed,
                              last_failure.reason, AddressHealth::Clock::now());
        break;
      }
      SmtpClientSession session({helo_name, report.relay, policy});
      auto run = co_await run_session(connection, session, message, config, context.tls_contexts(),
                                      candidate->host, policy);
      connection.close();
      const auto problem = problem_of(session, run.result);
      const auto& failure = run.result ? run.result->failure : session.connection_failure();
      if (problem)
        health.record_failure(destination, candidate->address, *problem,
                              failure ? failure->str() : "connection lost",
                              AddressHealth::Clock::now());
      else
        health.record_success(destination, candidate->address);
      if (!run.result || run.result->scope == FailureScope::connection) {
        if (failure) last_failure = *failure;
        report.transcript = transcript_lines(session.transcript());
        if (session.tls_failed() && plaintext_retry_allowed(policy)) {
          policy = TlsPolicy::none;
          fell_back = true;
          continue;
        }
        break;
      }
      report.tls.used = run.tls.has_value();
      report.tls.fell_back = fell_back;
      if (run.tls) {
        report.tls.version = run.tls->version;
        report.tls.cipher = run.tls->cipher;
        report.tls.verification = run.tls->verification;
      }
      for (std::size_t position = 0; position < request.recipients.size(); ++position)
        report.recipients.push_back(
            outcome_for(request.recipients[position], position, *run.result));
      if (run.result->scope != FailureScope::none)
        report.transcript = transcript_lines(session.transcript());
      co_return report;
    }
  }
  for (auto index : request.recipients)
    report.recipients.push_back(
        {index, last_failure.is_permanent() ? RecipientStatus::bounced : RecipientStatus::deferred,
         last_failure.status.str(), last_failure.reason});
  co_return report;
}

}  // namespace mxrelay::mta
