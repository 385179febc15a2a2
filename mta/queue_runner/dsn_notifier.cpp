// mta/queue_runner: rendering, storing and logging DSNs (see dsn_notifier.hpp).
#include "mta/queue_runner/dsn_notifier.hpp"

#include "core/log_line.hpp"
#include "core/random_token.hpp"
#include "mta/io/durable_store.hpp"
#include "queue/dsn_report.hpp"
#include "queue/queue_id.hpp"
#include "queue/retry_schedule.hpp"

namespace mxrelay::mta {

DsnNotifier::DsnNotifier(queue::Spool& spool, boost::asio::thread_pool& disk, Metrics& metrics)
    : spool_(spool), disk_(disk), metrics_(metrics) {}

boost::asio::awaitable<std::expected<std::optional<queue::QueueEntry>, core::Failure>>
DsnNotifier::notify(const conf::Config& config, const queue::QueueEntry& entry,
                    std::string_view original, const std::vector<queue::DsnRecipient>& recipients) {
  const auto& hostname = config.server.hostname;
  auto to = entry.envelope.sender;
  if (!queue::may_bounce(entry.envelope)) {
    if (config.queue.postmaster.empty()) {
      core::LogLine("dsn_dropped", core::Severity::warning)
          .kv("queue_id", entry.envelope.id)
          .kv("reason", "the message is itself a notification (null sender); never bounce a bounce")
          .emit();
      co_return std::optional<queue::QueueEntry>();
    }
    to = config.queue.postmaster;
  }
  const auto now = std::chrono::system_clock::now();
  queue::DsnContext context{
      hostname,
      config.queue.postmaster.empty() ? "postmaster@" + hostname : config.queue.postmaster,
      queue::to_unix(now), "=_mxrelay_" + core::random_token(random_),
      entry.envelope.id + "." + core::random_token(random_) + "@" + hostname};
  auto text = queue::render_dsn(context, entry.envelope, original, recipients);
  queue::Envelope report;
  report.id = queue::new_queue_id();
  report.arrival_unix = queue::to_unix(now);
  report.helo = hostname;
  report.recipients = {to};
  auto stored = co_await store_durably(spool_, disk_, report, text);
  if (!stored) {
    core::LogLine("dsn_failed", core::Severity::error)
        .kv("queue_id", entry.envelope.id)
        .kv("reason", stored.error().str())
        .emit();
    co_return std::unexpected(stored.error());
  }
  const auto* action = queue::action_keyword(recipients.front().action);
  core::LogLine("dsn")
      .kv("queue_id", report.id)
      .kv("original", entry.envelope.id)
      .kv("to", "<" + to + ">")
      .kv("action", action)
      .kv("recipients", static_cast<long long>(recipients.size()))
      .emit();
  metrics_.dsn_sent(action);
  co_return queue::new_entry(std::move(report), text.size(), now);
}

}  // namespace mxrelay::mta
