// mta: the Asio driver of SmtpClientSession for one message over the route's candidates.
#include "smtp_delivery.hpp"

#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <optional>

#include "asio_helpers.hpp"
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

// Runs the session over a connected socket: one message, then QUIT. Returns the message's
// result, or nothing when the connection failed before the message could be started.
asio::awaitable<std::optional<MessageResult>> run_session(tcp::socket& socket,
                                                          SmtpClientSession& session,
                                                          const OutboundMessage& message,
                                                          const conf::DeliveryConfig& config) {
  std::array<char, 16 * 1024> buffer;
  std::optional<MessageResult> result;
  bool started = false;
  for (;;) {
    auto step = session.next();
    switch (step.kind) {
      case SmtpClientSession::Step::Kind::send: {
        auto status = co_await write_for(socket, step.bytes, timeout_for(step.wait, config));
        if (status == IoStatus::timeout) session.on_timeout();
        if (status == IoStatus::failed) session.on_eof();
        break;
      }
      case SmtpClientSession::Step::Kind::need_input: {
        auto read = co_await read_some_for(socket, buffer, timeout_for(step.wait, config));
        if (read.status == IoStatus::ok)
          session.on_input(std::string_view(buffer.data(), read.bytes));
        else if (read.status == IoStatus::timeout)
          session.on_timeout();
        else
          session.on_eof();
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
        result = session.take_result();
        break;
      case SmtpClientSession::Step::Kind::closed:
        co_return result;
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

}  // namespace

asio::awaitable<DeliveryReport> deliver(asio::any_io_executor executor,
                                        const std::vector<resolver::Candidate>& candidates,
                                        DeliveryRequest request,
                                        const conf::DeliveryConfig& config,
                                        const std::string& helo_name) {
  std::string data(request.body);
  OutboundMessage message;
  message.sender = request.envelope.sender;
  for (auto index : request.recipients) message.recipients.push_back(request.envelope.recipients[index]);
  message.data = &data;

  DeliveryReport report;
  auto last_failure =
      core::Failure::temporary(451, {4, 4, 4}, "no delivery candidate could be reached");
  for (const auto& candidate : candidates) {
    report.relay = candidate.host + "[" + candidate.address.str() + "]:" +
                   std::to_string(candidate.port);
    tcp::socket socket(executor);
    auto [connected, why] = co_await connect_for(
        socket, tcp::endpoint(to_asio(candidate.address), candidate.port), config.connect_timeout);
    if (connected != IoStatus::ok) {
      last_failure = core::Failure::temporary(451, {4, 4, 1}, "connect to " + report.relay + ": " + why);
      continue;
    }
    SmtpClientSession session({helo_name, report.relay});
    auto result = co_await run_session(socket, session, message, config);
    boost::system::error_code ignored;
    socket.close(ignored);
    if (!result || result->scope == FailureScope::connection) {
      const auto& failure = result ? result->failure : session.connection_failure();
      if (failure) last_failure = *failure;
      report.transcript = transcript_lines(session.transcript());
      continue;
    }
    for (std::size_t position = 0; position < request.recipients.size(); ++position)
      report.recipients.push_back(outcome_for(request.recipients[position], position, *result));
    if (result->scope != FailureScope::none) report.transcript = transcript_lines(session.transcript());
    co_return report;
  }
  for (auto index : request.recipients)
    report.recipients.push_back({index,
                                 last_failure.is_permanent() ? RecipientStatus::bounced
                                                             : RecipientStatus::deferred,
                                 last_failure.status.str(), last_failure.reason});
  co_return report;
}

}  // namespace mxrelay::mta
