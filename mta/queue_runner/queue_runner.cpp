// mta/queue_runner: running the queue manager's attempts and commands on Asio (see
// queue_runner.hpp).
#include "mta/queue_runner/queue_runner.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <map>

#include "conf/idna.hpp"
#include "core/log_line.hpp"
#include "mta/io/asio_helpers.hpp"
#include "mta/io/durable_store.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {
// Attempts running at once; the per-destination limits come with connection management.
constexpr std::size_t kMaxParallelAttempts = 64;
// The longest the scheduler sleeps without looking again.
constexpr auto kMaxIdle = std::chrono::seconds(60);
// Spooled messages loaded per step on start: small enough to keep the event loop responsive.
constexpr std::size_t kRecoveryBatch = 1000;

// The A-label of an internationalised recipient domain, for log lines; "" for ASCII domains.
std::string idn_a_label(const std::string& address) {
  const auto domain = queue::recipient_domain(address);
  if (std::ranges::all_of(domain, [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return {};
  return conf::to_a_label_domain(domain).value_or(std::string());
}

// Deferrals and bounces are what an operator looks for (journalctl -p warning).
core::Severity severity_of(queue::DeliveryStatus status) {
  return status == queue::DeliveryStatus::sent ? core::Severity::info : core::Severity::warning;
}

// The header section of a stored message (up to and including the empty line).
std::string header_section(std::string_view body) {
  auto end = body.find("\r\n\r\n");
  return std::string(end == std::string_view::npos ? body : body.substr(0, end + 2));
}
}  // namespace

QueueRunner::QueueRunner(asio::io_context& io, std::shared_ptr<const conf::Config> config,
                         queue::Spool& spool, std::shared_ptr<resolver::NextHopResolver> resolver,
                         Metrics& metrics, asio::thread_pool& disk)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      resolver_(std::move(resolver)),
      metrics_(metrics),
      disk_(disk),
      agent_(io.get_executor(), metrics, config_->delivery),
      notifier_(spool, disk, metrics),
      wakeup_(io),
      gauge_timer_(io),
      cluster_timer_(io) {
  agent_.set_dkim(config_->dkim);
  declare_sites();
}

void QueueRunner::declare_sites() {
  std::vector<std::string> names;
  for (const auto& site : config_->shaping) names.push_back(site.site);
  std::vector<std::string> sources;
  for (const auto& source : conf::configured_sources(config_->delivery))
    sources.push_back(source.str());
  metrics_.declare_sites(names, sources);
}

void QueueRunner::reconfigure(std::shared_ptr<const conf::Config> config,
                              std::shared_ptr<resolver::NextHopResolver> resolver) {
  config_ = std::move(config);
  resolver_ = std::move(resolver);
  agent_.reconfigure(config_->delivery);
  agent_.set_dkim(config_->dkim);
  declare_sites();
  wake();
}

queue::ScheduleSettings QueueRunner::schedule_settings() const {
  return {config_->queue.retry_intervals, config_->queue.max_age, config_->queue.delay_warning};
}

void QueueRunner::add(queue::QueueEntry entry) {
  queue_.add(std::move(entry));
  metrics_.set_queue_size(static_cast<double>(queue_.size()));
}

void QueueRunner::recover() {
  spool_.begin_recovery();
  asio::co_spawn(io_, load_backlog(), asio::detached);
}

asio::awaitable<void> QueueRunner::load_backlog() {
  long long loaded = 0;
  for (;;) {
    auto batch =
        co_await run_blocking(disk_, [this] { return spool_.recover_batch(kRecoveryBatch); });
    for (const auto& discarded : batch.discarded)
      core::LogLine("spool_corrupt", core::Severity::error)
          .kv("record", discarded)
          .kv("action", "moved to corrupt/")
          .emit();
    const auto now = Clock::now();
    for (auto& message : batch.messages)
      add(queue::recovered_entry(std::move(message.envelope), message.message_bytes, message.held,
                                 message.outcomes, now));
    wake();
    loaded += static_cast<long long>(batch.messages.size());
    if (batch.finished) break;
  }
  core::LogLine("recovered", core::Severity::notice).kv("messages", loaded).emit();
}

asio::awaitable<void> QueueRunner::drop_corrupt(const std::string& id, const std::string& reason) {
  co_await run_blocking(disk_, [&] {
    spool_.quarantine(id);
    return true;
  });
  core::LogLine("spool_corrupt", core::Severity::error)
      .kv("record", id + ": " + reason)
      .kv("action", "moved to corrupt/")
      .emit();
  queue_.attempt_removed(id);
  metrics_.set_queue_size(static_cast<double>(queue_.size()));
  wake();
}

void QueueRunner::enqueue(queue::Envelope envelope, std::uint64_t message_bytes) {
  add(queue::new_entry(std::move(envelope), message_bytes, Clock::now()));
  wake();
}

void QueueRunner::start() {
  running_ = true;
  asio::co_spawn(io_, schedule_loop(), asio::detached);
  asio::co_spawn(io_, gauge_loop(), asio::detached);
  if (agent_.has_cluster()) asio::co_spawn(io_, cluster_loop(), asio::detached);
}

void QueueRunner::stop() {
  running_ = false;
  wake();
  gauge_timer_.cancel();
  cluster_timer_.cancel();
  agent_.close_idle();
}

asio::awaitable<void> QueueRunner::schedule_loop() {
  while (running_) {
    auto now = Clock::now();
    start_attempts(queue_.take_due(now, kMaxParallelAttempts));
    if (now >= next_sweep_) {
      start_attempts(queue_.sweep_due(now, kMaxParallelAttempts));
      next_sweep_ = now + kMaxIdle;
    }
    auto next_wake = std::min(now + kMaxIdle, next_sweep_);
    if (queue_.attempts_running() < kMaxParallelAttempts)
      if (auto due = queue_.next_due()) next_wake = std::min(next_wake, *due);
    wakeup_.expires_after(std::max(next_wake - now, Clock::duration::zero()));
    co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void QueueRunner::start_attempts(const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    asio::co_spawn(io_, attempt(id), [this, id](std::exception_ptr failure) {
      if (failure) attempt_crashed(id, failure);
    });
}

void QueueRunner::attempt_crashed(const std::string& id, std::exception_ptr failure) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  core::LogLine("internal_error", core::Severity::error)
      .kv("queue_id", id)
      .kv("error", what)
      .kv("action", "retry later")
      .emit();
  queue_.retry_later(id, "internal error: " + what, schedule_settings(), Clock::now());
}

asio::awaitable<void> QueueRunner::attempt(std::string id) {
  auto config = config_;
  auto resolver = resolver_;
  auto& entry = *queue_.find(id);  // node-based map: the reference survives other inserts
  auto spooled = co_await run_blocking(disk_, [&] { return spool_.read_record(id); });
  std::expected<queue::DecodedRecord, std::string> decoded = std::unexpected("unread");
  if (spooled) decoded = queue::decode_record(*spooled);
  if (spooled && !decoded) {
    co_await drop_corrupt(id, decoded.error());
    co_return;
  }
  if (!decoded) {
    entry.last_error =
        "cannot read the spool record: " + (spooled ? decoded.error() : spooled.error().str());
    core::LogLine("spool_read_failed", core::Severity::error)
        .kv("queue_id", id)
        .kv("reason", entry.last_error)
        .emit();
    co_await finish(entry, std::nullopt);
    co_return;
  }

  std::map<std::string, std::vector<std::size_t>> by_domain;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i)
    if (entry.recipients[i] == queue::RecipientState::pending)
      by_domain[queue::recipient_domain(entry.envelope.recipients[i])].push_back(i);
  // (No structured bindings here: g++ 12 miscompiles them around co_await in a coroutine.)
  std::optional<Clock::time_point> resume_at;
  bool attempted = false;
  for (const auto& destination : by_domain) {
    auto result = co_await deliver_domain(entry, *config, *resolver, destination.first,
                                          destination.second, decoded->body);
    if (result.counts) attempted = true;
    if (result.resume_at && (!resume_at || *result.resume_at < *resume_at))
      resume_at = result.resume_at;
  }

  const auto expired = queue::expiry_failures(entry, Clock::now(), config->queue.max_age);
  for (const auto& failure : expired) co_await record(entry, failure);
  if (!entry.to_notify.empty()) {
    const bool queued = co_await notify(entry, decoded->body, entry.to_notify);
    if (queued) entry.to_notify.clear();
  }
  co_await warn_if_delayed(entry, decoded->body);
  co_await finish(entry, attempted || entry.expired ? std::nullopt : resume_at);
}

asio::awaitable<void> QueueRunner::warn_if_delayed(queue::QueueEntry& entry,
                                                   std::string_view original) {
  const auto settings = schedule_settings();
  auto delayed =
      queue::delay_warning_due(entry, Clock::now(), settings.delay_warning, settings.max_age);
  if (!delayed) co_return;
  if (delayed->empty()) {
    entry.delay_warned = true;
    co_return;
  }
  const bool queued = co_await notify(entry, original, *delayed);
  entry.delay_warned = queued;
}

asio::awaitable<bool> QueueRunner::notify(queue::QueueEntry& entry, std::string_view original,
                                          const std::vector<queue::DsnRecipient>& recipients) {
  auto config = config_;
  auto report = co_await notifier_.notify(*config, entry, original, recipients);
  if (!report) co_return false;
  if (*report) {
    add(std::move(**report));
    wake();
  }
  co_return true;
}

asio::awaitable<void> QueueRunner::hold_for_transport(queue::QueueEntry& entry,
                                                      const std::string& domain,
                                                      const resolver::TransportDecision& decision) {
  const auto& id = entry.envelope.id;
  auto marked = co_await run_blocking(disk_, [&] { return spool_.set_held(id, true); });
  if (marked) entry.held = true;
  entry.last_error = "held by transport entry " + decision.entry_location + ": " + decision.reason;
  core::LogLine("hold", core::Severity::notice)
      .kv("queue_id", id)
      .kv("domain", domain)
      .kv("reason", decision.reason)
      .emit();
}

asio::awaitable<QueueRunner::DomainAttempt> QueueRunner::deliver_domain(
    queue::QueueEntry& entry, const conf::Config& config, resolver::NextHopResolver& resolver,
    const std::string& domain, const std::vector<std::size_t>& indexes, std::string_view body) {
  DomainAttempt done;
  std::optional<core::Failure> refusal;
  std::optional<resolver::TransportDecision> decision;
  if (domain.empty()) {
    refusal = core::Failure::permanent(553, {5, 1, 3}, "recipient address has no domain");
  } else {
    decision = resolver::decide_transport(config, domain);
    refusal = decision->refusal();
  }
  if (refusal) {
    for (auto index : indexes)
      co_await record(entry, queue::DeliveryOutcome::from_failure(index, *refusal));
    co_return done;
  }
  if (decision->action == conf::TransportAction::hold) {
    co_await hold_for_transport(entry, domain, *decision);
    co_return done;
  }
  auto outcome = co_await agent_.deliver(
      config, resolver, DestinationRequest{entry.envelope, indexes, body, domain, *decision});
  if (outcome.backed_off_until) {
    entry.last_error = outcome.backoff_reason;
    co_return DomainAttempt{outcome.backed_off_until, false};
  }
  for (const auto& recipient : outcome.recipients) co_await record(entry, recipient, outcome.times);
  if (!outcome.transcript.empty())
    co_await run_blocking(disk_, [&] {
      spool_.write_transcript(entry.envelope.id, outcome.transcript);
      return true;
    });
  if (outcome.throttled_until) co_return DomainAttempt{outcome.throttled_until, false};
  done.counts = std::ranges::any_of(outcome.recipients, [](const auto& recipient) {
    return recipient.status == queue::DeliveryStatus::deferred;
  });
  co_return done;
}

asio::awaitable<void> QueueRunner::gauge_loop() {
  while (running_) {
    update_queue_gauges();
    update_health_gauges();
    update_site_gauges();
    gauge_timer_.expires_after(std::chrono::seconds(1));
    co_await gauge_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> QueueRunner::cluster_loop() {
  while (running_) {
    co_await agent_.poll_cluster(config_);
    cluster_timer_.expires_after(std::chrono::seconds(1));
    co_await cluster_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void QueueRunner::update_queue_gauges() {
  const auto counts = queue_.counts(Clock::now());
  metrics_.set_queue_state("ready", static_cast<double>(counts.ready));
  metrics_.set_queue_state("active", static_cast<double>(counts.active));
  metrics_.set_queue_state("deferred", static_cast<double>(counts.deferred));
  metrics_.set_queue_state("hold", static_cast<double>(counts.hold));
  metrics_.set_oldest_message_age(std::chrono::duration<double>(counts.oldest_age).count());
}

void QueueRunner::update_health_gauges() {
  const auto by_label = agent_.unhealthy_by_label();
  for (const auto& label : unhealthy_labels_)
    if (!by_label.contains(label)) metrics_.set_unhealthy_addresses(label, 0);
  unhealthy_labels_.clear();
  for (const auto& item : by_label) {
    metrics_.set_unhealthy_addresses(item.first, item.second);
    unhealthy_labels_.push_back(item.first);
  }
}

void QueueRunner::update_site_gauges() {
  for (const auto& site : agent_.sites(*config_)) {
    metrics_.set_site_state(site.view.site, static_cast<double>(site.view.open_connections),
                            site.suspended_until.has_value(), site.view.rate_limit);
    for (const auto& share : site.sources)
      if (!share.view.source.empty())
        metrics_.set_site_source_state(site.view.site, share.view.source,
                                       static_cast<double>(share.view.open_connections),
                                       share.suspended_until.has_value());
  }
  metrics_.set_site_state("other", static_cast<double>(agent_.connections_outside_sites(*config_)),
                          false, 0);
}

asio::awaitable<void> QueueRunner::record(queue::QueueEntry& entry,
                                          const queue::DeliveryOutcome& outcome,
                                          queue::AttemptTimes times) {
  const auto& id = entry.envelope.id;
  const auto* status = queue::to_string(outcome.status);
  const auto delays = queue::delivery_delays(entry.arrival, Clock::now(), times);
  metrics_.recipient_attempt(status);
  metrics_.delivery_attempt(status, outcome.enhanced_status.str());
  if (outcome.status == queue::DeliveryStatus::sent) metrics_.delivery_latency(delays.total);
  const auto& recipient = entry.envelope.recipients[outcome.index];
  auto log = core::LogLine("delivery", severity_of(outcome.status));
  log.kv("queue_id", id).kv("to", "<" + recipient + ">");
  if (auto a_label = idn_a_label(recipient); !a_label.empty()) log.kv("domain_a_label", a_label);
  log.kv("relay", outcome.remote.relay())
      .kv("delay", delays.total)
      .kv("delay_before_queue", delays.before_queue)
      .kv("delay_in_queue", delays.in_queue)
      .kv("delay_connection", delays.connection_setup)
      .kv("delay_transmission", delays.transmission)
      .kv("dsn", outcome.enhanced_status.str())
      .kv("status", status)
      .kv("reply", outcome.reason)
      .emit();
  const auto line = queue::record_outcome(entry, outcome, Clock::now());
  if (!line) co_return;
  auto appended = co_await append_outcome_durably(spool_, disk_, id, *line);
  if (!appended)
    core::LogLine("spool_write_failed", core::Severity::error)
        .kv("queue_id", id)
        .kv("reason", appended.error().str())
        .emit();
}

asio::awaitable<bool> QueueRunner::remove_from_spool(const std::string& id, queue::MessageEnd end) {
  auto removed = co_await run_blocking(disk_, [&] { return spool_.remove(id); });
  if (!removed) {
    core::LogLine("spool_remove_failed", core::Severity::error)
        .kv("queue_id", id)
        .kv("reason", removed.error().str())
        .emit();
    co_return false;
  }
  core::LogLine("removed").kv("queue_id", id).emit();
  if (end == queue::MessageEnd::delivered) metrics_.message_completed();
  metrics_.message_finished(queue::to_string(end));
  co_return true;
}

asio::awaitable<void> QueueRunner::finish(queue::QueueEntry& entry,
                                          std::optional<Clock::time_point> resume_at) {
  // The entry stays in flight until it is removed or rescheduled, so that the scheduler
  // cannot start another attempt on it in between.
  const auto id = entry.envelope.id;
  bool removed = false;
  if (const auto end = queue::completion(entry)) removed = co_await remove_from_spool(id, *end);
  if (removed) {
    queue_.attempt_removed(id);
    metrics_.set_queue_size(static_cast<double>(queue_.size()));
    wake();
    co_return;
  }
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  queue_.reschedule(id, schedule_settings(), Clock::now(), unit(random_), resume_at);
  wake();
}

asio::awaitable<std::expected<QueueEntryDetail, std::string>> QueueRunner::show(std::string id) {
  const auto* entry = queue_.find(id);
  if (!entry) co_return std::unexpected("no message " + id + " in the queue");
  QueueEntryDetail detail;
  detail.view = queue_.view(*entry);
  auto [spooled, transcript] = co_await run_blocking(disk_, [&] {
    return std::pair{spool_.read_record(id), spool_.read_transcript(id)};
  });
  detail.transcript = std::move(transcript);
  if (!spooled) co_return std::unexpected(spooled.error().str());
  auto decoded = queue::decode_record(*spooled);
  if (!decoded) co_return std::unexpected("spool record unreadable: " + decoded.error());
  detail.client_address = decoded->envelope.client_address;
  detail.helo = decoded->envelope.helo;
  detail.require_tls = decoded->envelope.require_tls;
  detail.headers = header_section(decoded->body);
  co_return detail;
}

std::size_t QueueRunner::flush(std::optional<std::string> id, std::optional<std::string> domain) {
  const auto count = queue_.flush(id, domain, Clock::now());
  core::LogLine("flush", core::Severity::notice)
      .kv("messages", static_cast<long long>(count))
      .emit();
  wake();
  return count;
}

asio::awaitable<std::expected<void, std::string>> QueueRunner::hold(std::string id, bool held) {
  auto entry = queue_.claim(id);
  if (!entry) co_return std::unexpected(entry.error());
  auto marked = co_await run_blocking(disk_, [&] { return spool_.set_held(id, held); });
  if (!marked) {
    queue_.unclaim(id, false, Clock::now());
    co_return std::unexpected(marked.error().str());
  }
  (*entry)->held = held;
  queue_.unclaim(id, !held, Clock::now());
  core::LogLine(held ? "hold" : "release", core::Severity::notice).kv("queue_id", id).emit();
  wake();
  co_return std::expected<void, std::string>{};
}

asio::awaitable<std::expected<void, std::string>> QueueRunner::remove(std::string id) {
  auto entry = queue_.claim(id);
  if (!entry) co_return std::unexpected(entry.error());
  core::LogLine("deleted", core::Severity::notice)
      .kv("queue_id", id)
      .kv("by", "administrator")
      .emit();
  const bool removed = co_await remove_from_spool(id, queue::MessageEnd::deleted);
  if (removed) {
    queue_.forget(id);
    metrics_.set_queue_size(static_cast<double>(queue_.size()));
    co_return std::expected<void, std::string>{};
  }
  queue_.unclaim(id, false, Clock::now());
  co_return std::unexpected("could not remove " + id + " from the spool; see the log");
}

asio::awaitable<std::expected<void, std::string>> QueueRunner::bounce(std::string id) {
  auto entry = queue_.claim(id);
  if (!entry) co_return std::unexpected(entry.error());
  const auto failure = core::Failure::permanent(550, {5, 0, 0}, "bounced by the administrator");
  for (std::size_t i = 0; i < (*entry)->recipients.size(); ++i)
    if ((*entry)->recipients[i] == queue::RecipientState::pending)
      co_await record(**entry, queue::DeliveryOutcome::from_failure(i, failure));
  // The next attempt finds nothing to deliver: it sends the DSN, then removes the message.
  queue_.unclaim(id, true, Clock::now());
  wake();
  co_return std::expected<void, std::string>{};
}

}  // namespace mxrelay::mta
