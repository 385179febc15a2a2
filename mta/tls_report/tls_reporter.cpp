// mta/tls_report: the relay's TLS-RPT counting, daily close and sending (see tls_reporter.hpp).
#include "mta/tls_report/tls_reporter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/log_line.hpp"
#include "core/random_token.hpp"
#include "mta/io/asio_helpers.hpp"
#include "mta/io/durable_store.hpp"
#include "mta/io/https_client.hpp"
#include "mta/tls_report/gzip.hpp"
#include "mta/tls_report/report_json.hpp"
#include "mta/tls_report/report_message.hpp"
#include "mta/tls_report/store_file.hpp"
#include "queue/queue_id.hpp"

namespace mxrelay::mta::tlsrpt {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr auto kPostTimeout = std::chrono::seconds(30);
constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr std::string_view kMediaType = "application/tlsrpt+gzip";

const char* transport_of(const Rua& rua) {
  return rua.kind == Rua::Kind::https ? "https" : "mailto";
}

json::object rua_result(const std::string& domain, const std::string& rua, const char* result,
                        const std::string& detail) {
  return {{"domain", domain}, {"rua", rua}, {"result", result}, {"detail", detail}};
}
}  // namespace

TlsReporter::TlsReporter(asio::io_context& io, std::shared_ptr<const conf::Config> config,
                         queue::Spool& spool, asio::thread_pool& disk, Metrics& metrics,
                         Enqueue enqueue)
    : io_(io),
      config_(std::move(config)),
      spool_(spool),
      disk_(disk),
      metrics_(metrics),
      enqueue_(std::move(enqueue)),
      timer_(io) {
  std::vector<std::string_view> labels;
  for (const auto result : kAllResults) labels.push_back(metric_label(result));
  metrics_.declare_tls_report_results(labels);
}

std::int64_t TlsReporter::now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void TlsReporter::start() {
  if (!enabled() || running_) return;
  if (!loaded_) {
    store_ = load_store(store_file(config_->queue.dir), now());
    loaded_ = true;
  }
  running_ = true;
  next_retry_ = std::chrono::steady_clock::now();
  asio::co_spawn(io_, timer_loop(), asio::detached);
}

void TlsReporter::stop() {
  running_ = false;
  timer_.cancel();
  if (loaded_) save();
}

void TlsReporter::reconfigure(std::shared_ptr<const conf::Config> config) {
  config_ = std::move(config);
  if (enabled())
    start();
  else
    stop();
}

void TlsReporter::record(const Observation& observation) {
  if (!enabled() || !loaded_) return;
  roll_over();
  store_.record(observation);
  dirty_ = true;
  metrics_.tls_report_session(metric_label(observation.result));
}

void TlsReporter::roll_over() {
  const auto boundary = next_utc_day(store_.period_begin());
  if (now() >= boundary) close_period(boundary);
}

void TlsReporter::close_period(std::int64_t end) {
  const auto& hostname = config_->server.hostname;
  store_.close(end,
               [&](const std::string&) { return core::random_token(random_) + "@" + hostname; });
  dirty_ = true;
  save();
}

void TlsReporter::save() {
  auto saved = save_store(store_file(config_->queue.dir), store_);
  if (saved) {
    dirty_ = false;
    return;
  }
  core::LogLine("tls_report_store_error", core::Severity::error).kv("reason", saved.error()).emit();
}

asio::awaitable<void> TlsReporter::timer_loop() {
  while (running_) {
    timer_.expires_after(kFlushInterval);
    co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!running_) co_return;
    const auto before = store_.period_begin();
    roll_over();
    if (dirty_) save();
    const bool closed = store_.period_begin() != before;
    if ((closed || std::chrono::steady_clock::now() >= next_retry_) && !store_.pending().empty()) {
      next_retry_ = std::chrono::steady_clock::now() + kRetryInterval;
      co_await send_pending(nullptr);
    }
  }
}

asio::awaitable<json::object> TlsReporter::send_now() {
  if (!enabled()) co_return json::object{{"ok", false}, {"error", "[tls_report] is not enabled"}};
  close_period(now());
  json::array results;
  co_await send_pending(&results);
  co_return json::object{{"ok", true}, {"reports", std::move(results)}};
}

json::object TlsReporter::show() const {
  PendingReport open;
  open.begin = store_.period_begin();
  open.end = now();
  open.policies = store_.open();
  const ReportIdentity identity{config_->tls_report_organization(), config_->tls_report_contact()};
  json::array pending;
  for (const auto& report : store_.pending())
    pending.push_back(json::object{{"domain", report.domain},
                                   {"report_id", report.report_id},
                                   {"attempts", report.attempts},
                                   {"rua_left", json::value_from(report.rua_left)}});
  return {{"ok", true},
          {"enabled", enabled()},
          {"open", json::parse(report_json(identity, open))},
          {"pending", std::move(pending)}};
}

asio::awaitable<void> TlsReporter::send_pending(json::array* results) {
  resolver::UnboundClient dns(io_.get_executor(), config_->dns);
  std::vector<std::string> ids;
  for (const auto& report : store_.pending())
    if (!sending_.contains(report.report_id)) ids.push_back(report.report_id);
  for (const auto& id : ids) {
    auto& pending = store_.pending();
    auto found = std::ranges::find(pending, id, &PendingReport::report_id);
    if (found == pending.end()) continue;
    auto report = *found;
    sending_.insert(id);
    co_await send_report(dns, report, results);
    sending_.erase(id);
    auto& after = store_.pending();
    auto place = std::ranges::find(after, id, &PendingReport::report_id);
    if (place == after.end()) continue;
    const bool done = report.looked_up && report.rua_left.empty();
    if (done || report.attempts >= kMaxSendAttempts) {
      if (!done)
        core::LogLine("tls_report_given_up", core::Severity::error)
            .kv("domain", report.domain)
            .kv("report_id", report.report_id)
            .kv("attempts", static_cast<long long>(report.attempts))
            .emit();
      after.erase(place);
    } else {
      *place = std::move(report);
    }
    save();
  }
}

asio::awaitable<void> TlsReporter::send_report(resolver::UnboundClient& dns, PendingReport& report,
                                               json::array* results) {
  ++report.attempts;
  if (!report.looked_up) {
    const auto answer = co_await dns.query("_smtp._tls." + report.domain, resolver::RrType::txt);
    const bool absent = answer.outcome == resolver::DnsOutcome::nodata ||
                        answer.outcome == resolver::DnsOutcome::nxdomain;
    if (!absent && answer.outcome != resolver::DnsOutcome::ok) {
      const auto detail =
          "_smtp._tls TXT lookup failed (" + std::string(resolver::to_string(answer.outcome)) + ")";
      core::LogLine("tls_report_failed", core::Severity::warning)
          .kv("domain", report.domain)
          .kv("reason", detail)
          .emit();
      if (results) results->push_back(rua_result(report.domain, "", "failed", detail));
      co_return;
    }
    auto rua = absent ? std::unexpected(std::string("no _smtp._tls TXT record"))
                      : parse_tlsrpt_record(answer.texts);
    report.looked_up = true;
    if (!rua) {
      core::LogLine("tls_report_skipped")
          .kv("domain", report.domain)
          .kv("reason", rua.error())
          .emit();
      if (results) results->push_back(rua_result(report.domain, "", "skipped", rua.error()));
      co_return;
    }
    report.rua_left = std::move(*rua);
  }
  const ReportIdentity identity{config_->tls_report_organization(), config_->tls_report_contact()};
  const auto gzipped = gzip_compress(report_json(identity, report));
  std::vector<std::string> left;
  for (const auto& uri : report.rua_left) {
    const auto rua = parse_rua(uri);
    if (!rua) {
      core::LogLine("tls_report_skipped")
          .kv("domain", report.domain)
          .kv("rua", uri)
          .kv("reason", "not a usable mailto: or https: URI")
          .emit();
      if (results) results->push_back(rua_result(report.domain, uri, "skipped", "unusable URI"));
      continue;
    }
    auto sent = co_await deliver(dns, *rua, report, gzipped);
    metrics_.tls_report_sent(transport_of(*rua), sent ? "sent" : "failed");
    core::LogLine(sent ? "tls_report_sent" : "tls_report_failed",
                  sent ? core::Severity::info : core::Severity::warning)
        .kv("domain", report.domain)
        .kv("rua", uri)
        .kv("report_id", report.report_id)
        .kv("bytes", static_cast<long long>(gzipped.size()))
        .kv("reason", sent ? std::string() : sent.error())
        .emit();
    if (results)
      results->push_back(
          rua_result(report.domain, uri, sent ? "sent" : "failed", sent ? "" : sent.error()));
    if (!sent) left.push_back(uri);
  }
  report.rua_left = std::move(left);
}

asio::awaitable<std::expected<void, std::string>> TlsReporter::deliver(resolver::UnboundClient& dns,
                                                                       const Rua& rua,
                                                                       const PendingReport& report,
                                                                       const std::string& gzipped) {
  if (rua.kind == Rua::Kind::mailto) co_return co_await mail(rua, report, gzipped);
  HttpsRequest request;
  request.host = rua.host;
  request.port = rua.port;
  request.post = true;
  request.target = rua.target;
  request.content_type = std::string(kMediaType);
  request.body = gzipped;
  request.body_limit = kMaxResponseBytes;
  auto response =
      co_await https_request(dns, std::move(request), config_->delivery.tls_ca_file, kPostTimeout);
  if (!response) co_return std::unexpected(response.error().reason);
  if (response->status < 200 || response->status >= 300)
    co_return std::unexpected("HTTP " + std::to_string(response->status));
  co_return std::expected<void, std::string>();
}

asio::awaitable<std::expected<void, std::string>> TlsReporter::mail(const Rua& rua,
                                                                    const PendingReport& report,
                                                                    const std::string& gzipped) {
  const auto& hostname = config_->server.hostname;
  const auto when = now();
  queue::Envelope envelope;
  envelope.id = queue::new_queue_id();
  envelope.arrival_unix = when;
  envelope.helo = hostname;
  envelope.recipients = {rua.address};
  auto unique = core::random_token(random_);
  ReportMail mail{hostname,
                  config_->tls_report_contact(),
                  rua.address,
                  when,
                  envelope.id + "." + unique + "@" + hostname,
                  "=_tlsrpt_" + unique,
                  unique};
  const auto text = render_report_mail(mail, report, gzipped);
  auto stored = co_await store_durably(spool_, disk_, envelope, text);
  if (!stored) co_return std::unexpected(stored.error().str());
  core::LogLine("tls_report_queued")
      .kv("queue_id", envelope.id)
      .kv("to", "<" + rua.address + ">")
      .kv("domain", report.domain)
      .emit();
  enqueue_(std::move(envelope), text.size());
  co_return std::expected<void, std::string>();
}

}  // namespace mxrelay::mta::tlsrpt
