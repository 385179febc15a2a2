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
#include "conf/idna.hpp"
#include "core/domain_name.hpp"
#include "core/log_line.hpp"
#include "durable_store.hpp"
#include "queue/queue_id.hpp"
#include "queue/retry_schedule.hpp"

namespace mxrelay::mta {

namespace asio = boost::asio;

namespace {
// Attempts running at once; the per-destination limits come with connection management.
constexpr std::size_t kMaxParallelAttempts = 64;
// The longest the scheduler sleeps without looking again.
constexpr auto kMaxIdle = std::chrono::seconds(60);
// Spooled messages loaded per step on start: small enough to keep the event loop responsive.
constexpr std::size_t kRecoveryBatch = 1000;

std::string recipient_domain(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : core::canonical_domain(address.substr(at + 1));
}

// The A-label of an internationalised recipient domain, for log lines; "" for ASCII domains.
std::string idn_a_label(const std::string& address) {
  const auto domain = recipient_domain(address);
  if (std::ranges::all_of(domain, [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return {};
  return conf::to_a_label_domain(domain).value_or(std::string());
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

// The host name in "host[ip]:port"; "" for "none".
std::string relay_host(const std::string& relay) {
  return relay == "none" ? std::string() : relay.substr(0, relay.find('['));
}

// The remote server's own reply inside a failure reason "host H[ip]:port said: REPLY (in
// reply to COMMAND)", for the DSN's Diagnostic-Code (RFC 3464 2.3.6); the reason as it is
// when it holds no remote reply.
std::string remote_reply(const std::string& reason) {
  const auto said = reason.find(" said: ");
  if (said == std::string::npos) return reason;
  auto reply = reason.substr(said + 7);
  if (const auto context = reply.rfind(" (in reply to "); context != std::string::npos)
    reply.erase(context);
  return reply;
}

queue::DsnRecipient dsn_recipient(const queue::Envelope& envelope, const RecipientResult& result,
                                  const std::string& relay, queue::DsnAction action,
                                  const queue::RecipientDsn& dsn) {
  queue::DsnRecipient out;
  out.original_recipient = dsn.orcpt;
  out.final_recipient = envelope.recipients[result.index];
  out.action = action;
  out.status = core::EnhancedStatus::parse(result.dsn)
                   .value_or(action == queue::DsnAction::failed ? core::EnhancedStatus{5, 0, 0}
                                                                : core::EnhancedStatus{2, 0, 0});
  out.remote_mta = relay_host(relay);
  out.diagnostic = out.remote_mta.empty() ? std::string() : remote_reply(result.reply);
  out.last_attempt_unix = to_unix(std::chrono::system_clock::now());
  return out;
}

std::string random_token(std::mt19937_64& random) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return buf;
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
                               Metrics& metrics, asio::thread_pool& disk,
                               DeliverySettings delivery_settings)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      resolver_(std::move(resolver)),
      delivery_context_(std::move(delivery_settings)),
      metrics_(metrics),
      disk_(disk),
      wakeup_(io),
      gauge_timer_(io) {
  delivery_context_.pool().set_observer([this](const std::string& label, std::size_t open) {
    metrics_.set_destination_connections(label, static_cast<double>(open));
  });
}

void DeliveryEngine::reconfigure(std::shared_ptr<const conf::Config> config,
                                 std::shared_ptr<resolver::NextHopResolver> resolver) {
  config_ = std::move(config);
  resolver_ = std::move(resolver);
  wakeup_.cancel();
}

void DeliveryEngine::add(Entry entry) {
  // Kept small for a large backlog: nothing here reads the client or HELO (`queue show`
  // reads them from the record), and the vectors never grow after this.
  std::string().swap(entry.envelope.client_address);
  std::string().swap(entry.envelope.helo);
  entry.envelope.recipients.shrink_to_fit();
  entry.recipients.shrink_to_fit();
  auto id = entry.envelope.id;
  const auto& added = entries_.insert_or_assign(std::move(id), std::move(entry)).first->second;
  if (!added.in_flight && !added.held) schedule(added);
  metrics_.set_queue_size(static_cast<double>(entries_.size()));
}

void DeliveryEngine::recover() {
  spool_.begin_recovery();
  asio::co_spawn(io_, load_backlog(), asio::detached);
}

asio::awaitable<void> DeliveryEngine::load_backlog() {
  long long loaded = 0;
  for (;;) {
    auto batch =
        co_await run_blocking(disk_, [this] { return spool_.recover_batch(kRecoveryBatch); });
    for (const auto& discarded : batch.discarded)
      core::LogLine("spool_corrupt")
          .kv("record", discarded)
          .kv("action", "moved to corrupt/")
          .emit();
    for (auto& message : batch.messages) {
      Entry entry;
      entry.recipients.assign(message.envelope.recipients.size(), RecipientState::pending);
      for (const auto& outcome : message.outcomes)
        if (outcome.index < entry.recipients.size())
          entry.recipients[outcome.index] = outcome.state == queue::RecipientState::delivered
                                                ? RecipientState::delivered
                                                : RecipientState::failed;
      entry.envelope = std::move(message.envelope);
      entry.arrival = Clock::time_point(std::chrono::seconds(entry.envelope.arrival_unix));
      entry.size = message.message_bytes;
      entry.held = message.held;
      entry.next_attempt = Clock::now();
      add(std::move(entry));
    }
    wakeup_.cancel();
    loaded += static_cast<long long>(batch.messages.size());
    if (batch.finished) break;
  }
  core::LogLine("recovered").kv("messages", loaded).emit();
}

asio::awaitable<void> DeliveryEngine::drop_corrupt(Entry& entry, const std::string& reason) {
  auto id = entry.envelope.id;
  co_await run_blocking(disk_, [&] {
    spool_.quarantine(id);
    return true;
  });
  core::LogLine("spool_corrupt")
      .kv("record", id + ": " + reason)
      .kv("action", "moved to corrupt/")
      .emit();
  forget(id);
  --in_flight_;
  wakeup_.cancel();
}

void DeliveryEngine::enqueue(queue::Envelope envelope, std::uint64_t message_bytes) {
  Entry entry;
  entry.recipients.assign(envelope.recipients.size(), RecipientState::pending);
  entry.envelope = std::move(envelope);
  entry.size = message_bytes;
  entry.arrival = Clock::now();
  entry.next_attempt = entry.arrival;
  add(std::move(entry));
  wakeup_.cancel();
}

void DeliveryEngine::start() {
  running_ = true;
  asio::co_spawn(io_, schedule_loop(), asio::detached);
  asio::co_spawn(io_, gauge_loop(), asio::detached);
}

void DeliveryEngine::stop() {
  running_ = false;
  wakeup_.cancel();
  gauge_timer_.cancel();
  delivery_context_.pool().close_idle();
}

asio::awaitable<void> DeliveryEngine::schedule_loop() {
  while (running_) {
    auto now = Clock::now();
    start_due(now);
    if (now >= next_sweep_) {
      sweep_due(now);
      next_sweep_ = now + kMaxIdle;
    }
    auto next_wake = std::min(now + kMaxIdle, next_sweep_);
    if (!due_.empty() && in_flight_ < kMaxParallelAttempts)
      next_wake = std::min(next_wake, due_.top().when);
    wakeup_.expires_after(std::max(next_wake - now, Clock::duration::zero()));
    co_await wakeup_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void DeliveryEngine::start_due(Clock::time_point now) {
  while (!due_.empty() && in_flight_ < kMaxParallelAttempts && due_.top().when <= now) {
    auto due = due_.top();
    due_.pop();
    auto found = entries_.find(due.id);
    if (found == entries_.end()) continue;
    auto& entry = found->second;
    if (entry.in_flight || entry.held || entry.next_attempt != due.when) continue;
    start_attempt(found->first, entry);
  }
}

void DeliveryEngine::sweep_due(Clock::time_point now) {
  for (auto& [id, entry] : entries_) {
    if (in_flight_ >= kMaxParallelAttempts) return;
    if (!entry.in_flight && !entry.held && entry.next_attempt <= now) start_attempt(id, entry);
  }
}

void DeliveryEngine::start_attempt(const std::string& id, Entry& entry) {
  entry.in_flight = true;
  ++in_flight_;
  asio::co_spawn(io_, attempt(id), [this, id](std::exception_ptr failure) {
    if (failure) attempt_crashed(id, failure);
  });
}

void DeliveryEngine::schedule(const Entry& entry) {
  due_.push({entry.next_attempt, entry.envelope.id});
}

void DeliveryEngine::attempt_crashed(const std::string& id, std::exception_ptr failure) {
  std::string what = "unknown exception";
  try {
    std::rethrow_exception(failure);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  core::LogLine("internal_error")
      .kv("queue_id", id)
      .kv("error", what)
      .kv("action", "retry later")
      .emit();
  auto found = entries_.find(id);
  if (found == entries_.end() || !found->second.in_flight) return;
  found->second.in_flight = false;
  --in_flight_;
  found->second.last_error = "internal error: " + what;
  found->second.next_attempt = Clock::now() + config_->queue.retry_intervals.back();
  schedule(found->second);
}

asio::awaitable<void> DeliveryEngine::attempt(std::string id) {
  auto config = config_;
  auto resolver = resolver_;
  auto& entry = entries_.at(id);  // node-based map: the reference survives other inserts
  auto spooled = co_await run_blocking(disk_, [&] { return spool_.read_record(id); });
  std::expected<queue::DecodedRecord, std::string> decoded = std::unexpected("unread");
  if (spooled) decoded = queue::decode_record(*spooled);
  if (spooled && !decoded) {
    co_await drop_corrupt(entry, decoded.error());
    co_return;
  }
  if (!decoded) {
    entry.last_error =
        "cannot read the spool record: " + (spooled ? decoded.error() : spooled.error().str());
    core::LogLine("spool_read_failed").kv("queue_id", id).kv("reason", entry.last_error).emit();
    co_await finish(entry);
    co_return;
  }

  std::map<std::string, std::vector<std::size_t>> by_domain;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i)
    if (entry.recipients[i] == RecipientState::pending)
      by_domain[recipient_domain(entry.envelope.recipients[i])].push_back(i);
  // (No structured bindings here: g++ 12 miscompiles them around co_await in a coroutine.)
  std::optional<Clock::time_point> resume_at;
  bool attempted = false;
  for (const auto& destination : by_domain) {
    auto backed_off = co_await deliver_domain(entry, *config, *resolver, destination.first,
                                              destination.second, decoded->body);
    if (!backed_off) attempted = true;
    if (backed_off && (!resume_at || *backed_off < *resume_at)) resume_at = backed_off;
  }

  co_await expire_if_too_old(entry);
  co_await notify_outcomes(entry, decoded->body);
  co_await warn_if_delayed(entry, decoded->body);
  co_await finish(entry, attempted || entry.expired ? std::nullopt : resume_at);
}

asio::awaitable<void> DeliveryEngine::notify_outcomes(Entry& entry, std::string_view original) {
  if (entry.to_notify.empty()) co_return;
  bool queued = co_await notify(entry, original, entry.to_notify);
  if (queued) entry.to_notify.clear();
}

asio::awaitable<void> DeliveryEngine::warn_if_delayed(Entry& entry, std::string_view original) {
  auto config = config_;
  auto warning = config->queue.delay_warning;
  auto now = Clock::now();
  if (warning.count() == 0 || entry.delay_warned || entry.complete() ||
      now - entry.arrival < warning)
    co_return;
  std::vector<queue::DsnRecipient> delayed;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i) {
    if (entry.recipients[i] != RecipientState::pending) continue;
    auto dsn = queue::recipient_dsn_of(entry.envelope, i);
    if (!queue::should_notify(dsn.notify, queue::DsnAction::delayed)) continue;
    queue::DsnRecipient recipient;
    recipient.original_recipient = dsn.orcpt;
    recipient.final_recipient = entry.envelope.recipients[i];
    recipient.action = queue::DsnAction::delayed;
    recipient.status =
        core::EnhancedStatus::parse(entry.last_error.substr(entry.last_error.find(' ') + 1))
            .value_or(core::EnhancedStatus{4, 0, 0});
    recipient.diagnostic = entry.last_error;
    recipient.last_attempt_unix = to_unix(now);
    recipient.will_retry_until_unix = to_unix(entry.arrival + config->queue.max_age);
    delayed.push_back(std::move(recipient));
  }
  if (delayed.empty()) {
    entry.delay_warned = true;
    co_return;
  }
  bool queued = co_await notify(entry, original, delayed);
  entry.delay_warned = queued;
}

asio::awaitable<bool> DeliveryEngine::notify(Entry& entry, std::string_view original,
                                             const std::vector<queue::DsnRecipient>& recipients) {
  auto config = config_;
  const auto& hostname = config->server.hostname;
  auto to = entry.envelope.sender;
  if (!queue::may_bounce(entry.envelope)) {
    if (config->queue.postmaster.empty()) {
      core::LogLine("dsn_dropped")
          .kv("queue_id", entry.envelope.id)
          .kv("reason", "the message is itself a notification (null sender); never bounce a bounce")
          .emit();
      co_return true;
    }
    to = config->queue.postmaster;
  }
  queue::DsnContext context{
      hostname,
      config->queue.postmaster.empty() ? "postmaster@" + hostname : config->queue.postmaster,
      to_unix(Clock::now()), "=_mxrelay_" + random_token(random_),
      entry.envelope.id + "." + random_token(random_) + "@" + hostname};
  auto text = queue::render_dsn(context, entry.envelope, original, recipients);
  queue::Envelope report;
  report.id = queue::new_queue_id();
  report.arrival_unix = to_unix(Clock::now());
  report.helo = hostname;
  report.recipients = {to};
  auto stored = co_await store_durably(spool_, disk_, report, text);
  auto action = recipients.front().action == queue::DsnAction::delayed  ? "delayed"
                : recipients.front().action == queue::DsnAction::failed ? "failed"
                                                                        : "relayed";
  if (!stored) {
    core::LogLine("dsn_failed")
        .kv("queue_id", entry.envelope.id)
        .kv("reason", stored.error().str())
        .emit();
    co_return false;
  }
  core::LogLine("dsn")
      .kv("queue_id", report.id)
      .kv("original", entry.envelope.id)
      .kv("to", "<" + to + ">")
      .kv("action", action)
      .kv("recipients", static_cast<long long>(recipients.size()))
      .emit();
  metrics_.dsn_sent(action);
  enqueue(std::move(report), text.size());
  co_return true;
}

asio::awaitable<std::optional<DeliveryEngine::Clock::time_point>> DeliveryEngine::deliver_domain(
    Entry& entry, const conf::Config& config, resolver::NextHopResolver& resolver,
    const std::string& domain, const std::vector<std::size_t>& indexes, std::string_view body) {
  std::optional<Clock::time_point> not_backed_off;
  if (domain.empty()) {
    auto failure = core::Failure::permanent(553, {5, 1, 3}, "recipient address has no domain");
    for (auto index : indexes) co_await record(entry, from_failure(index, failure), "none");
    co_return not_backed_off;
  }
  auto decision = resolver::decide_transport(config, domain);
  if (auto refusal = decision.refusal()) {
    for (auto index : indexes) co_await record(entry, from_failure(index, *refusal), "none");
    co_return not_backed_off;
  }
  if (decision.action == conf::TransportAction::hold) {
    auto marked =
        co_await run_blocking(disk_, [&] { return spool_.set_held(entry.envelope.id, true); });
    if (marked) entry.held = true;
    entry.last_error =
        "held by transport entry " + decision.entry_location + ": " + decision.reason;
    core::LogLine("hold")
        .kv("queue_id", entry.envelope.id)
        .kv("domain", domain)
        .kv("reason", decision.reason)
        .emit();
    co_return not_backed_off;
  }
  const auto destination = destination_of(config, decision, domain);
  const auto backoff_end = delivery_context_.backoff().backed_off_until(
      destination.name, std::chrono::steady_clock::now());
  if (backoff_end) {
    entry.last_error = "destination " + destination.name + " is backed off after repeated failures";
    co_return Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                 *backoff_end - std::chrono::steady_clock::now());
  }
  auto route = co_await resolver::resolve_route(resolver, decision, domain);
  if (!route.result) {
    for (auto index : indexes)
      co_await record(entry, from_failure(index, route.result.error()), "none");
    co_return not_backed_off;
  }
  const auto& helo =
      config.delivery.helo_name.empty() ? config.server.hostname : config.delivery.helo_name;
  if (destination.limits.label != "mx")
    destination_labels_.insert_or_assign(destination.name, destination.limits.label);
  DeliveryRequest request{entry.envelope,      indexes,         body,  destination.name,
                          &destination.limits, &resolver.dns(), &route};
  if (const auto auth = config.auth.find(decision.auth); auth != config.auth.end()) {
    request.auth_table = decision.auth;
    request.credentials = ClientCredentials{auth->second.username, auth->second.password};
  }
  request.implicit_tls = decision.implicit_tls;
  auto report = co_await deliver(io_.get_executor(), *route.result, request, config.delivery, helo,
                                 delivery_context_, decision.tls);
  count_connections(report);
  for (unsigned i = 0; i < report.protocol_errors; ++i) metrics_.outbound_protocol_error();
  note_destination_outcome(destination, report);
  if (report.auth == AuthOutcome::refused || report.auth == AuthOutcome::unavailable) {
    metrics_.outbound_auth_failure(destination.limits.label);
    core::LogLine("outbound_auth_failed")
        .kv("queue_id", entry.envelope.id)
        .kv("transport", destination.limits.label)
        .kv("relay", report.relay)
        .kv("sasl_username", request.credentials->username)
        .kv("reply",
            report.auth_reply.empty() ? report.recipients.front().reply : report.auth_reply)
        .emit();
  }
  for (const auto& skipped : report.skipped)
    core::LogLine("address_skipped")
        .kv("queue_id", entry.envelope.id)
        .kv("domain", domain)
        .kv("detail", skipped)
        .emit();
  if (report.tls.used || report.tls.fell_back)
    core::LogLine("tls")
        .kv("queue_id", entry.envelope.id)
        .kv("relay", report.relay)
        .kv("policy", to_string(report.tls.policy))
        .kv("version", report.tls.version)
        .kv("cipher", report.tls.cipher)
        .kv("verification", report.tls.verification)
        .kv("fell_back", report.tls.fell_back ? "yes" : "no")
        .emit();
  for (const auto& result : report.recipients) co_await record(entry, result, report.relay);
  if (!report.transcript.empty()) {
    std::string text;
    for (const auto& line : report.transcript) text += line + "\n";
    co_await run_blocking(disk_, [&] {
      spool_.write_transcript(entry.envelope.id, text);
      return true;
    });
  }
  co_return not_backed_off;
}

DeliveryEngine::Destination DeliveryEngine::destination_of(
    const conf::Config& config, const resolver::TransportDecision& decision,
    const std::string& domain) {
  Destination out;
  out.name = decision.name;  // the recipient domain's A-label for recipient_mx
  out.limits.label = "mx";
  out.limits.per_destination = config.delivery.max_connections_per_destination;
  out.limits.total = config.delivery.max_connections;
  out.limits.max_messages_per_connection = config.delivery.max_messages_per_connection;
  out.limits.idle_time = config.delivery.connection_idle_time;
  const auto* entry = decision.entry_location.empty() ? nullptr : config.transport.match(domain);
  if (entry) {
    out.limits.label = entry->key;
    if (entry->max_connections) out.limits.per_destination = *entry->max_connections;
  }
  return out;
}

void DeliveryEngine::note_destination_outcome(const Destination& destination,
                                              const DeliveryReport& report) {
  auto& backoff = delivery_context_.backoff();
  if (!report.destination_failed) {
    backoff.record_success(destination.name);
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  const auto until = backoff.record_failure(destination.name, now);
  if (!until) return;
  const auto until_wall = Clock::now() + std::chrono::duration_cast<Clock::duration>(*until - now);
  core::LogLine("destination_backoff")
      .kv("domain", destination.name)
      .kv("until", static_cast<long long>(to_unix(until_wall)))
      .kv("reason", report.recipients.empty() ? std::string() : report.recipients.front().reply)
      .emit();
}

void DeliveryEngine::count_connections(const DeliveryReport& report) {
  for (unsigned i = 0; i < report.connections_opened; ++i) {
    metrics_.outbound_connection(false);
    metrics_.session_opened("outbound");
  }
  for (unsigned i = 0; i < report.connections_reused; ++i) metrics_.outbound_connection(true);
  const std::string policy(to_string(report.tls.policy));
  for (const auto* outcome : report.tls_outcomes) metrics_.outbound_tls(policy.c_str(), outcome);
}

std::vector<UnhealthyAddress> DeliveryEngine::unhealthy_addresses() const {
  return delivery_context_.health().unhealthy(AddressHealth::Clock::now());
}

asio::awaitable<void> DeliveryEngine::gauge_loop() {
  while (running_) {
    update_queue_gauges();
    update_health_gauges();
    gauge_timer_.expires_after(std::chrono::seconds(1));
    co_await gauge_timer_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void DeliveryEngine::update_queue_gauges() {
  // One pass a second over the in-memory envelopes (a few ms with a million queued), never
  // one per attempt.
  const auto now = Clock::now();
  double ready = 0, active = 0, deferred = 0, hold = 0;
  auto oldest = now;
  for (const auto& item : entries_) {
    const auto& entry = item.second;
    oldest = std::min(oldest, entry.arrival);
    if (entry.in_flight)
      ++active;
    else if (entry.held)
      ++hold;
    else if (entry.next_attempt <= now)
      ++ready;
    else
      ++deferred;
  }
  metrics_.set_queue_state("ready", ready);
  metrics_.set_queue_state("active", active);
  metrics_.set_queue_state("deferred", deferred);
  metrics_.set_queue_state("hold", hold);
  metrics_.set_oldest_message_age(std::chrono::duration<double>(now - oldest).count());
}

void DeliveryEngine::update_health_gauges() {
  std::unordered_map<std::string, double> by_label;
  for (const auto& unhealthy : unhealthy_addresses()) {
    const auto label = destination_labels_.find(unhealthy.destination);
    ++by_label[label == destination_labels_.end() ? std::string("mx") : label->second];
  }
  for (const auto& label : unhealthy_labels_)
    if (!by_label.contains(label)) metrics_.set_unhealthy_addresses(label, 0);
  unhealthy_labels_.clear();
  for (const auto& item : by_label) {
    metrics_.set_unhealthy_addresses(item.first, item.second);
    unhealthy_labels_.push_back(item.first);
  }
}

asio::awaitable<void> DeliveryEngine::record(Entry& entry, const RecipientResult& result,
                                             const std::string& relay) {
  const auto& id = entry.envelope.id;
  metrics_.recipient_attempt(to_string(result.status));
  metrics_.delivery_attempt(to_string(result.status), result.dsn);
  if (result.status == RecipientStatus::sent)
    metrics_.delivery_latency(std::chrono::duration<double>(Clock::now() - entry.arrival).count());
  const auto& recipient = entry.envelope.recipients[result.index];
  auto log = core::LogLine("delivery");
  log.kv("queue_id", id).kv("to", "<" + recipient + ">");
  if (auto a_label = idn_a_label(recipient); !a_label.empty()) log.kv("domain_a_label", a_label);
  log.kv("relay", relay)
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
  auto action = sent ? queue::DsnAction::relayed : queue::DsnAction::failed;
  auto dsn = queue::recipient_dsn_of(entry.envelope, result.index);
  if (queue::should_notify(dsn.notify, action))
    entry.to_notify.push_back(dsn_recipient(entry.envelope, result, relay, action, dsn));
  entry.recipients[result.index] = sent ? RecipientState::delivered : RecipientState::failed;
  queue::RecipientOutcome outcome{
      result.index, sent ? queue::RecipientState::delivered : queue::RecipientState::failed,
      result.reply};
  auto appended = co_await append_outcome_durably(spool_, disk_, id, outcome);
  if (!appended)
    core::LogLine("spool_write_failed")
        .kv("queue_id", id)
        .kv("reason", appended.error().str())
        .emit();
}

void DeliveryEngine::forget(const std::string& id) {
  entries_.erase(id);
  metrics_.set_queue_size(static_cast<double>(entries_.size()));
}

asio::awaitable<bool> DeliveryEngine::remove_from_spool(Entry& entry, const char* outcome) {
  auto id = entry.envelope.id;
  auto removed = co_await run_blocking(disk_, [&] { return spool_.remove(id); });
  if (!removed) {
    core::LogLine("spool_remove_failed")
        .kv("queue_id", id)
        .kv("reason", removed.error().str())
        .emit();
    co_return false;
  }
  core::LogLine("removed").kv("queue_id", id).emit();
  if (std::string_view(outcome) == "delivered") metrics_.message_completed();
  metrics_.message_finished(outcome);
  forget(id);
  co_return true;
}

asio::awaitable<void> DeliveryEngine::expire_if_too_old(Entry& entry) {
  auto max_age = config_->queue.max_age;
  if (entry.complete() || !queue::has_expired(entry.arrival, Clock::now(), max_age)) co_return;
  auto expired =
      core::Failure::permanent(550, {5, 4, 7},
                               "message expired after " + std::to_string(max_age.count() / 3600) +
                                   "h in the queue; last error: " + entry.last_error);
  entry.expired = true;
  for (std::size_t i = 0; i < entry.recipients.size(); ++i)
    if (entry.recipients[i] == RecipientState::pending)
      co_await record(entry, from_failure(i, expired), "none");
}

asio::awaitable<void> DeliveryEngine::finish(Entry& entry,
                                             std::optional<Clock::time_point> resume_at) {
  // The entry stays in flight until it is removed or rescheduled, so that the scheduler
  // cannot start another attempt on it in between.
  auto config = config_;
  bool removed = false;
  if (entry.complete() && entry.to_notify.empty()) {
    const bool all_delivered = std::ranges::all_of(
        entry.recipients, [](RecipientState s) { return s == RecipientState::delivered; });
    removed = co_await remove_from_spool(
        entry, all_delivered ? "delivered" : (entry.expired ? "expired" : "bounced"));
  }
  --in_flight_;
  wakeup_.cancel();
  if (removed) co_return;
  if (resume_at) {
    entry.next_attempt = *resume_at;
    entry.in_flight = false;
    schedule(entry);
    co_return;
  }
  ++entry.failed_attempts;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  entry.next_attempt =
      Clock::now() +
      queue::retry_delay(entry.failed_attempts, config->queue.retry_intervals, unit(random_));
  entry.in_flight = false;
  schedule(entry);
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

std::expected<DeliveryEngine::Entry*, std::string> DeliveryEngine::claim(const std::string& id) {
  auto found = entries_.find(id);
  if (found == entries_.end()) return std::unexpected("no message " + id + " in the queue");
  if (found->second.in_flight)
    return std::unexpected("message " + id + " is being delivered right now; try again shortly");
  found->second.in_flight = true;
  return &found->second;
}

asio::awaitable<std::expected<QueueEntryDetail, std::string>> DeliveryEngine::show(std::string id) {
  auto found = entries_.find(id);
  if (found == entries_.end()) co_return std::unexpected("no message " + id + " in the queue");
  QueueEntryDetail detail;
  detail.view = view(found->second);
  auto [spooled, transcript] = co_await run_blocking(disk_, [&] {
    return std::pair{spool_.read_record(id), spool_.read_transcript(id)};
  });
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
    if (!entry.in_flight && !entry.held) schedule(entry);
    ++count;
  }
  core::LogLine("flush").kv("messages", static_cast<long long>(count)).emit();
  wakeup_.cancel();
  return count;
}

asio::awaitable<std::expected<void, std::string>> DeliveryEngine::hold(std::string id, bool held) {
  auto entry = claim(id);
  if (!entry) co_return std::unexpected(entry.error());
  auto marked = co_await run_blocking(disk_, [&] { return spool_.set_held(id, held); });
  (*entry)->in_flight = false;
  if (!marked) {
    schedule(**entry);
    co_return std::unexpected(marked.error().str());
  }
  (*entry)->held = held;
  if (!held) (*entry)->next_attempt = Clock::now();
  if (!held) schedule(**entry);
  core::LogLine(held ? "hold" : "release").kv("queue_id", id).emit();
  wakeup_.cancel();
  co_return std::expected<void, std::string>{};
}

asio::awaitable<std::expected<void, std::string>> DeliveryEngine::remove(std::string id) {
  auto entry = claim(id);
  if (!entry) co_return std::unexpected(entry.error());
  core::LogLine("deleted").kv("queue_id", id).kv("by", "administrator").emit();
  bool removed = co_await remove_from_spool(**entry, "deleted");
  if (removed) co_return std::expected<void, std::string>{};
  (*entry)->in_flight = false;
  schedule(**entry);
  co_return std::unexpected("could not remove " + id + " from the spool; see the log");
}

asio::awaitable<std::expected<void, std::string>> DeliveryEngine::bounce(std::string id) {
  auto entry = claim(id);
  if (!entry) co_return std::unexpected(entry.error());
  auto failure = core::Failure::permanent(550, {5, 0, 0}, "bounced by the administrator");
  for (std::size_t i = 0; i < (*entry)->recipients.size(); ++i)
    if ((*entry)->recipients[i] == RecipientState::pending)
      co_await record(**entry, from_failure(i, failure), "none");
  // The next attempt finds nothing to deliver: it sends the DSN, then removes the message.
  (*entry)->in_flight = false;
  (*entry)->next_attempt = Clock::now();
  schedule(**entry);
  wakeup_.cancel();
  co_return std::expected<void, std::string>{};
}

}  // namespace mxrelay::mta
