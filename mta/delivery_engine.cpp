// mta: scheduling and running delivery attempts for queued messages.
#include "delivery_engine.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

#include "asio_helpers.hpp"
#include "core/domain_name.hpp"
#include "core/log_line.hpp"
#include "queue/retry_schedule.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {
// Attempts running at once; the per-destination limits come with connection management.
constexpr std::size_t kMaxParallelAttempts = 64;
// The longest the scheduler sleeps without looking again.
constexpr auto kMaxIdle = std::chrono::seconds(60);

std::string recipient_domain(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : core::canonical_domain(address.substr(at + 1));
}

std::string seconds_since(std::int64_t arrival_unix) {
  auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f",
                std::max(0.0, now.count() - static_cast<double>(arrival_unix)));
  return buf;
}

RecipientResult from_failure(std::size_t index, const core::Failure& failure) {
  return {index, failure.is_permanent() ? RecipientStatus::bounced : RecipientStatus::deferred,
          failure.status.str(), failure.str()};
}
}  // namespace

DeliveryEngine::DeliveryEngine(asio::io_context& io, std::shared_ptr<const conf::Config> config,
                               queue::Spool& spool, resolver::NextHopResolver& resolver,
                               Metrics& metrics, asio::thread_pool& disk)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      resolver_(resolver),
      metrics_(metrics),
      disk_(disk),
      wakeup_(io) {}

void DeliveryEngine::add(queue::Envelope envelope, std::vector<bool> done, bool any_failed) {
  auto id = envelope.id;
  Entry entry{std::move(envelope), std::move(done), any_failed, 0, Clock::now(), false};
  entries_.insert_or_assign(std::move(id), std::move(entry));
  metrics_.set_queue_size(static_cast<double>(entries_.size()));
}

void DeliveryEngine::recover() {
  auto report = spool_.recover();
  for (const auto& discarded : report.discarded)
    core::LogLine("spool_corrupt").kv("record", discarded).kv("action", "moved to corrupt/").emit();
  for (auto& message : report.messages) {
    std::vector<bool> done(message.envelope.recipients.size(), false);
    bool any_failed = false;
    for (const auto& outcome : message.outcomes) {
      if (outcome.index >= done.size()) continue;
      done[outcome.index] = true;
      any_failed |= outcome.state == queue::RecipientState::failed;
    }
    add(std::move(message.envelope), std::move(done), any_failed);
  }
  core::LogLine("recovered").kv("messages", static_cast<long long>(report.messages.size())).emit();
}

void DeliveryEngine::enqueue(queue::Envelope envelope) {
  auto count = envelope.recipients.size();
  add(std::move(envelope), std::vector<bool>(count, false), false);
  wakeup_.cancel();
}

void DeliveryEngine::start() {
  running_ = true;
  asio::co_spawn(io_, schedule_loop(), asio::detached);
}

void DeliveryEngine::stop() {
  running_ = false;
  wakeup_.cancel();
}

asio::awaitable<void> DeliveryEngine::schedule_loop() {
  while (running_) {
    auto now = Clock::now();
    auto next_wake = now + kMaxIdle;
    for (auto& [id, entry] : entries_) {
      if (entry.in_flight) continue;
      if (entry.next_attempt <= now && in_flight_ < kMaxParallelAttempts) {
        entry.in_flight = true;
        ++in_flight_;
        asio::co_spawn(io_, attempt(id), asio::detached);
      } else {
        next_wake = std::min(next_wake, entry.next_attempt);
      }
    }
    wakeup_.expires_after(std::max(next_wake - now, Clock::duration::zero()));
    co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> DeliveryEngine::attempt(std::string id) {
  auto config = config_;
  auto& entry = entries_.at(id);  // node-based map: the reference survives other inserts
  auto spooled = co_await run_blocking(disk_, [&] { return spool_.read_record(id); });
  std::string_view body;
  std::expected<queue::DecodedRecord, std::string> decoded = std::unexpected("unread");
  if (spooled) decoded = queue::decode_record(*spooled);
  if (decoded) {
    body = decoded->body;
  } else {
    core::LogLine("spool_read_failed")
        .kv("queue_id", id)
        .kv("reason", spooled ? decoded.error() : spooled.error().str())
        .emit();
  }

  std::map<std::string, std::vector<std::size_t>> by_domain;
  for (std::size_t i = 0; decoded && i < entry.envelope.recipients.size(); ++i)
    if (!entry.done[i]) by_domain[recipient_domain(entry.envelope.recipients[i])].push_back(i);

  const auto& helo =
      config->delivery.helo_name.empty() ? config->server.hostname : config->delivery.helo_name;
  for (const auto& [domain, indexes] : by_domain) {
    if (domain.empty()) {
      auto failure = core::Failure::permanent(553, {5, 1, 3}, "recipient address has no domain");
      for (auto index : indexes) co_await record(entry, from_failure(index, failure), "none");
      continue;
    }
    auto route = co_await resolver_.resolve_mx(domain, config->delivery.port);
    if (!route.result) {
      for (auto index : indexes) co_await record(entry, from_failure(index, route.result.error()), "none");
      continue;
    }
    auto report = co_await deliver(io_.get_executor(), *route.result,
                                   {entry.envelope, indexes, body}, config->delivery, helo);
    for (const auto& result : report.recipients) co_await record(entry, result, report.relay);
  }
  co_await finish(entry);
}

asio::awaitable<void> DeliveryEngine::record(Entry& entry, const RecipientResult& result,
                                             const std::string& relay) {
  const auto& id = entry.envelope.id;
  metrics_.recipient_attempt(to_string(result.status));
  core::LogLine("delivery")
      .kv("queue_id", id)
      .kv("to", "<" + entry.envelope.recipients[result.index] + ">")
      .kv("relay", relay)
      .kv("delay", seconds_since(entry.envelope.arrival_unix))
      .kv("dsn", result.dsn)
      .kv("status", to_string(result.status))
      .kv("reply", result.reply)
      .emit();
  if (result.status == RecipientStatus::deferred) co_return;
  entry.done[result.index] = true;
  entry.any_failed |= result.status == RecipientStatus::bounced;
  queue::RecipientOutcome outcome{result.index,
                                  result.status == RecipientStatus::sent
                                      ? queue::RecipientState::delivered
                                      : queue::RecipientState::failed,
                                  result.reply};
  auto appended = co_await run_blocking(disk_, [&] { return spool_.append_outcome(id, outcome); });
  if (!appended)
    core::LogLine("spool_write_failed").kv("queue_id", id).kv("reason", appended.error().str()).emit();
}

asio::awaitable<void> DeliveryEngine::finish(Entry& entry) {
  auto config = config_;
  auto id = entry.envelope.id;
  auto arrival = Clock::time_point(std::chrono::seconds(entry.envelope.arrival_unix));
  if (!std::ranges::all_of(entry.done, [](bool d) { return d; }) &&
      queue::has_expired(arrival, Clock::now(), config->queue.max_age)) {
    auto expired = core::Failure::permanent(
        550, {5, 4, 7}, "message expired after " +
                            std::to_string(config->queue.max_age.count() / 3600) + "h in the queue");
    for (std::size_t i = 0; i < entry.done.size(); ++i)
      if (!entry.done[i]) co_await record(entry, from_failure(i, expired), "none");
  }
  entry.in_flight = false;
  --in_flight_;
  if (std::ranges::all_of(entry.done, [](bool d) { return d; })) {
    auto removed = co_await run_blocking(disk_, [&] { return spool_.remove(id); });
    if (removed) {
      core::LogLine("removed").kv("queue_id", id).emit();
      if (!entry.any_failed) metrics_.message_completed();
      entries_.erase(id);
      metrics_.set_queue_size(static_cast<double>(entries_.size()));
      wakeup_.cancel();
      co_return;
    }
    core::LogLine("spool_remove_failed").kv("queue_id", id).kv("reason", removed.error().str()).emit();
  }
  ++entry.failed_attempts;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  entry.next_attempt = Clock::now() + queue::retry_delay(entry.failed_attempts,
                                                         config->queue.retry_intervals,
                                                         unit(random_));
  wakeup_.cancel();
}

}  // namespace mxrelay::mta
