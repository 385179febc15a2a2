// mta: scheduling and running delivery attempts for queued messages, and queue management.
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

std::string seconds_since(std::chrono::system_clock::time_point arrival) {
  auto elapsed = std::chrono::duration<double>(std::chrono::system_clock::now() - arrival);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", std::max(0.0, elapsed.count()));
  return buf;
}

std::int64_t to_unix(std::chrono::system_clock::time_point when) {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

RecipientResult from_failure(std::size_t index, const core::Failure& failure) {
  return {index, failure.is_permanent() ? RecipientStatus::bounced : RecipientStatus::deferred,
          failure.status.str(), failure.str()};
}

// The header section of a stored message (up to and including the empty line).
std::string header_section(std::string_view body) {
  auto end = body.find("\r\n\r\n");
  return std::string(end == std::string_view::npos ? body : body.substr(0, end + 2));
}
}  // namespace

const char* to_string(QueueEntryView::RecipientState state) {
  switch (state) {
    case QueueEntryView::RecipientState::pending:
      return "pending";
    case QueueEntryView::RecipientState::delivered:
      return "delivered";
    case QueueEntryView::RecipientState::failed:
      return "failed";
  }
  return "pending";
}

bool DeliveryEngine::Entry::complete() const {
  return std::ranges::none_of(recipients,
                              [](RecipientState s) { return s == RecipientState::pending; });
}

DeliveryEngine::DeliveryEngine(asio::io_context& io, std::shared_ptr<const conf::Config> config,
                               queue::Spool& spool,
                               std::shared_ptr<resolver::NextHopResolver> resolver,
                               Metrics& metrics, asio::thread_pool& disk)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      resolver_(std::move(resolver)),
      metrics_(metrics),
      disk_(disk),
      wakeup_(io) {}

void DeliveryEngine::reconfigure(std::shared_ptr<const conf::Config> config,
                                 std::shared_ptr<resolver::NextHopResolver> resolver) {
  config_ = std::move(config);
  resolver_ = std::move(resolver);
  wakeup_.cancel();
}

void DeliveryEngine::add(Entry entry) {
  auto id = entry.envelope.id;
  entries_.insert_or_assign(std::move(id), std::move(entry));
  metrics_.set_queue_size(static_cast<double>(entries_.size()));
}

void DeliveryEngine::recover() {
  auto report = spool_.recover();
  for (const auto& discarded : report.discarded)
    core::LogLine("spool_corrupt").kv("record", discarded).kv("action", "moved to corrupt/").emit();
  for (auto& message : report.messages) {
    Entry entry;
    entry.recipients.assign(message.envelope.recipients.size(), RecipientState::pending);
    for (const auto& outcome : message.outcomes)
      if (outcome.index < entry.recipients.size())
        entry.recipients[outcome.index] = outcome.state == queue::RecipientState::delivered
                                              ? RecipientState::delivered
                                              : RecipientState::failed;
    entry.envelope = std::move(message.envelope);
    entry.arrival = Clock::time_point(std::chrono::seconds(entry.envelope.arrival_unix));
    entry.size = message.record_bytes;
    entry.held = message.held;
    entry.next_attempt = Clock::now();
    add(std::move(entry));
  }
  core::LogLine("recovered").kv("messages", static_cast<long long>(report.messages.size())).emit();
}

void DeliveryEngine::enqueue(queue::Envelope envelope, std::uint64_t record_bytes) {
  Entry entry;
  entry.recipients.assign(envelope.recipients.size(), RecipientState::pending);
  entry.envelope = std::move(envelope);
  entry.size = record_bytes;
  entry.arrival = Clock::now();
  entry.next_attempt = entry.arrival;
  add(std::move(entry));
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
      if (entry.in_flight || entry.held) continue;
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
  auto resolver = resolver_;
  auto& entry = entries_.at(id);  // node-based map: the reference survives other inserts
  auto spooled = co_await run_blocking(disk_, [&] { return spool_.read_record(id); });
  std::string_view body;
  std::expected<queue::DecodedRecord, std::string> decoded = std::unexpected("unread");
  if (spooled) decoded = queue::decode_record(*spooled);
  if (decoded) {
    body = decoded->body;
  } else {
    entry.last_error = "cannot read the spool record: " +
                       (spooled ? decoded.error() : spooled.error().str());
    core::LogLine("spool_read_failed").kv("queue_id", id).kv("reason", entry.last_error).emit();
  }

  std::map<std::string, std::vector<std::size_t>> by_domain;
  for (std::size_t i = 0; decoded && i < entry.recipients.size(); ++i)
    if (entry.recipients[i] == RecipientState::pending)
      by_domain[recipient_domain(entry.envelope.recipients[i])].push_back(i);

  const auto& helo =
      config->delivery.helo_name.empty() ? config->server.hostname : config->delivery.helo_name;
  for (const auto& [domain, indexes] : by_domain) {
    if (domain.empty()) {
      auto failure = core::Failure::permanent(553, {5, 1, 3}, "recipient address has no domain");
      for (auto index : indexes) co_await record(entry, from_failure(index, failure), "none");
      continue;
    }
    auto route = co_await resolver->resolve_mx(domain, config->delivery.port);
    if (!route.result) {
      for (auto index : indexes)
        co_await record(entry, from_failure(index, route.result.error()), "none");
      continue;
    }
    auto report = co_await deliver(io_.get_executor(), *route.result,
                                   {entry.envelope, indexes, body}, config->delivery, helo);
    for (const auto& result : report.recipients) co_await record(entry, result, report.relay);
    if (!report.transcript.empty()) {
      std::string text;
      for (const auto& line : report.transcript) text += line + "\n";
      co_await run_blocking(disk_, [&] {
        spool_.write_transcript(id, text);
        return true;
      });
    }
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
      .kv("delay", seconds_since(entry.arrival))
      .kv("dsn", result.dsn)
      .kv("status", to_string(result.status))
      .kv("reply", result.reply)
      .emit();
  if (result.status == RecipientStatus::deferred) {
    entry.last_error = result.reply;
    co_return;
  }
  bool sent = result.status == RecipientStatus::sent;
  entry.recipients[result.index] = sent ? RecipientState::delivered : RecipientState::failed;
  queue::RecipientOutcome outcome{
      result.index, sent ? queue::RecipientState::delivered : queue::RecipientState::failed,
      result.reply};
  auto appended = co_await run_blocking(disk_, [&] { return spool_.append_outcome(id, outcome); });
  if (!appended)
    core::LogLine("spool_write_failed").kv("queue_id", id).kv("reason", appended.error().str()).emit();
}

asio::awaitable<void> DeliveryEngine::remove_from_spool(Entry& entry) {
  auto id = entry.envelope.id;
  auto removed = co_await run_blocking(disk_, [&] { return spool_.remove(id); });
  if (!removed) {
    core::LogLine("spool_remove_failed").kv("queue_id", id).kv("reason", removed.error().str()).emit();
    co_return;
  }
  core::LogLine("removed").kv("queue_id", id).emit();
  if (std::ranges::all_of(entry.recipients,
                          [](RecipientState s) { return s == RecipientState::delivered; }))
    metrics_.message_completed();
  entries_.erase(id);
  metrics_.set_queue_size(static_cast<double>(entries_.size()));
}

asio::awaitable<void> DeliveryEngine::finish(Entry& entry) {
  auto config = config_;
  if (!entry.complete() && queue::has_expired(entry.arrival, Clock::now(), config->queue.max_age)) {
    auto expired = core::Failure::permanent(
        550, {5, 4, 7}, "message expired after " +
                            std::to_string(config->queue.max_age.count() / 3600) + "h in the queue");
    for (std::size_t i = 0; i < entry.recipients.size(); ++i)
      if (entry.recipients[i] == RecipientState::pending)
        co_await record(entry, from_failure(i, expired), "none");
  }
  entry.in_flight = false;
  --in_flight_;
  wakeup_.cancel();
  if (entry.complete()) {
    co_await remove_from_spool(entry);
    co_return;
  }
  ++entry.failed_attempts;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  entry.next_attempt = Clock::now() + queue::retry_delay(entry.failed_attempts,
                                                         config->queue.retry_intervals,
                                                         unit(random_));
}

QueueEntryView DeliveryEngine::view(const Entry& entry) const {
  QueueEntryView out;
  out.id = entry.envelope.id;
  out.arrival_unix = entry.envelope.arrival_unix;
  out.size = entry.size;
  out.sender = entry.envelope.sender;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i)
    out.recipients.push_back({entry.envelope.recipients[i], entry.recipients[i]});
  out.attempts = entry.failed_attempts;
  out.next_attempt_unix = to_unix(entry.next_attempt);
  out.last_error = entry.last_error;
  out.held = entry.held;
  out.in_flight = entry.in_flight;
  return out;
}

std::vector<QueueEntryView> DeliveryEngine::list() const {
  std::vector<QueueEntryView> out;
  out.reserve(entries_.size());
  for (const auto& [id, entry] : entries_) out.push_back(view(entry));
  std::ranges::sort(out, {}, &QueueEntryView::id);
  return out;
}

std::expected<DeliveryEngine::Entry*, std::string> DeliveryEngine::idle_entry(
    const std::string& id) {
  auto found = entries_.find(id);
  if (found == entries_.end()) return std::unexpected("no message " + id + " in the queue");
  if (found->second.in_flight)
    return std::unexpected("message " + id + " is being delivered right now; try again shortly");
  return &found->second;
}

asio::awaitable<std::expected<QueueEntryDetail, std::string>> DeliveryEngine::show(std::string id) {
  auto found = entries_.find(id);
  if (found == entries_.end()) co_return std::unexpected("no message " + id + " in the queue");
  QueueEntryDetail detail;
  detail.view = view(found->second);
  auto [spooled, transcript] = co_await run_blocking(
      disk_, [&] { return std::pair{spool_.read_record(id), spool_.read_transcript(id)}; });
  detail.transcript = std::move(transcript);
  if (!spooled) co_return std::unexpected(spooled.error().str());
  auto decoded = queue::decode_record(*spooled);
  if (!decoded) co_return std::unexpected("spool record unreadable: " + decoded.error());
  detail.client_address = decoded->envelope.client_address;
  detail.helo = decoded->envelope.helo;
  detail.headers = header_section(decoded->body);
  co_return detail;
}

std::size_t DeliveryEngine::flush(std::optional<std::string> id,
                                  std::optional<std::string> domain) {
  std::size_t count = 0;
  auto wanted_domain = domain ? core::canonical_domain(*domain) : std::string();
  for (auto& [entry_id, entry] : entries_) {
    if (id && entry_id != *id) continue;
    if (domain && std::ranges::none_of(entry.envelope.recipients, [&](const std::string& r) {
          return recipient_domain(r) == wanted_domain;
        }))
      continue;
    entry.next_attempt = Clock::now();
    ++count;
  }
  core::LogLine("flush").kv("messages", static_cast<long long>(count)).emit();
  wakeup_.cancel();
  return count;
}

asio::awaitable<std::expected<void, std::string>> DeliveryEngine::hold(std::string id, bool held) {
  auto entry = idle_entry(id);
  if (!entry) co_return std::unexpected(entry.error());
  auto marked = co_await run_blocking(disk_, [&] { return spool_.set_held(id, held); });
  if (!marked) co_return std::unexpected(marked.error().str());
  (*entry)->held = held;
  if (!held) (*entry)->next_attempt = Clock::now();
  core::LogLine(held ? "hold" : "release").kv("queue_id", id).emit();
  wakeup_.cancel();
  co_return std::expected<void, std::string>{};
}

asio::awaitable<std::expected<void, std::string>> DeliveryEngine::remove(std::string id) {
  auto entry = idle_entry(id);
  if (!entry) co_return std::unexpected(entry.error());
  core::LogLine("deleted").kv("queue_id", id).kv("by", "administrator").emit();
  co_await remove_from_spool(**entry);
  co_return std::expected<void, std::string>{};
}

asio::awaitable<std::expected<void, std::string>> DeliveryEngine::bounce(std::string id) {
  auto entry = idle_entry(id);
  if (!entry) co_return std::unexpected(entry.error());
  auto failure = core::Failure::permanent(550, {5, 0, 0}, "bounced by the administrator");
  for (std::size_t i = 0; i < (*entry)->recipients.size(); ++i)
    if ((*entry)->recipients[i] == RecipientState::pending)
      co_await record(**entry, from_failure(i, failure), "none");
  co_await remove_from_spool(**entry);
  co_return std::expected<void, std::string>{};
}

}  // namespace mxrelay::mta
