// mta: Prometheus metric families and the resolver observer.
#include "mta/metrics.hpp"

#include <openssl/crypto.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include <stdexcept>

#include "mta/health_endpoint.hpp"

#include "conf/shaping_site.hpp"
#include "conf/tls_policy.hpp"
#include "mta/dkim/author_domain.hpp"
#include "queue/delivery_outcome.hpp"
#include "resolver/dns_answer.hpp"
#include "resolver/route_report.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta {

namespace {
using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Family<prometheus::Counter>& counter_family(prometheus::Registry& registry,
                                                        const std::string& name,
                                                        const std::string& help) {
  return BuildCounter().Name(name).Help(help).Register(registry);
}

prometheus::Counter& counter(prometheus::Registry& registry, const std::string& name,
                             const std::string& help) {
  return counter_family(registry, name, help).Add({});
}

std::string dsn_label(const resolver::RouteResult& result) {
  return result ? "2.0.0" : result.error().status.str();
}

const char* result_label(InboundSessionResult result) {
  switch (result) {
    case InboundSessionResult::completed:
      return "completed";
    case InboundSessionResult::timeout:
      return "timeout";
    case InboundSessionResult::error:
      return "error";
    case InboundSessionResult::refused:
      return "refused";
  }
  return "error";
}

const char* result_label(AuthResult result) {
  switch (result) {
    case AuthResult::success:
      return "success";
    case AuthResult::failure:
      return "failure";
    case AuthResult::locked_out:
      return "locked_out";
  }
  return "failure";
}
}  // namespace

Metrics::Metrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      messages_received_(counter(*registry_, "mxrelay_messages_received_total",
                                 "Messages accepted from clients and queued durably.")),
      bytes_received_(counter(*registry_, "mxrelay_received_bytes_total",
                              "Bytes of message data accepted and queued.")),
      messages_delivered_(counter(*registry_, "mxrelay_messages_delivered_total",
                                  "Messages whose every recipient was delivered.")),
      store_failures_(counter(*registry_, "mxrelay_spool_store_failures_total",
                              "Messages refused with a 4xx because the spool write failed.")),
      sessions_(counter_family(*registry_, "mxrelay_smtp_sessions_total",
                               "SMTP sessions opened, by direction (inbound, outbound).")),
      recipient_attempts_(
          counter_family(*registry_, "mxrelay_recipient_attempts_total",
                         "Recipient delivery attempts by result (sent, deferred, bounced).")),
      queue_messages_(BuildGauge()
                          .Name("mxrelay_queue_messages")
                          .Help("Messages currently in the queue.")
                          .Register(*registry_)
                          .Add({})),
      dns_lookups_(counter_family(*registry_, "mxrelay_dns_lookups_total",
                                  "DNS queries by record type and outcome.")),
      dns_latency_(
          BuildHistogram()
              .Name("mxrelay_dns_lookup_duration_seconds")
              .Help("Time a DNS query took, cache hits included.")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                                               0.5, 1, 2.5, 5, 10})),
      dns_rrset_size_(BuildHistogram()
                          .Name("mxrelay_dns_rrset_records")
                          .Help("Records in each successful answer's RRset.")
                          .Register(*registry_)
                          .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100,
                                                                           200, 500})),
      route_verdicts_(counter_family(*registry_, "mxrelay_route_verdicts_total",
                                     "Next-hop resolutions by verdict (deliver, defer, bounce) and "
                                     "enhanced status code (dsn).")),
      implicit_mx_routes_(counter(*registry_, "mxrelay_implicit_mx_routes_total",
                                  "Routes that used a domain's own addresses (no MX records).")),
      config_reloads_(counter_family(*registry_, "mxrelay_config_reloads_total",
                                     "Configuration reloads by result (ok, rejected).")),
      dsns_(counter_family(
          *registry_, "mxrelay_dsn_sent_total",
          "Delivery status notifications queued, by action (failed, delayed, relayed).")),
      config_last_reload_ok_(BuildGauge()
                                 .Name("mxrelay_config_last_reload_successful")
                                 .Help("1 if the last configuration reload succeeded, else 0.")
                                 .Register(*registry_)
                                 .Add({})),
      inbound_sessions_active_(BuildGauge()
                                   .Name("mxrelay_inbound_sessions_active")
                                   .Help("Inbound SMTP sessions in progress.")
                                   .Register(*registry_)
                                   .Add({})),
      inbound_sessions_(counter_family(
          *registry_, "mxrelay_inbound_sessions_total",
          "Inbound SMTP connections ended, by result (completed, timeout, error, refused).")),
      inbound_connections_refused_(counter_family(
          *registry_, "mxrelay_inbound_connections_refused_total",
          "Inbound connections refused before any session, by reason (too_many_connections, "
          "too_many_from_client, too_many_untrusted, pregreet).")),
      inbound_sessions_cut_off_(
          counter_family(*registry_, "mxrelay_inbound_sessions_cut_off_total",
                         "Inbound sessions ended by a timeout, by reason (idle, command_deadline, "
                         "data_deadline, tls_handshake).")),
      inbound_rejections_(counter_family(
          *registry_, "mxrelay_inbound_rejections_total",
          "4xx and 5xx replies sent to inbound clients, by enhanced status code (dsn).")),
      inbound_tls_handshakes_(counter_family(
          *registry_, "mxrelay_inbound_tls_handshakes_total",
          "Inbound STARTTLS handshakes by TLS protocol version and result (success, failure).")),
      inbound_auth_attempts_(
          counter_family(*registry_, "mxrelay_inbound_auth_attempts_total",
                         "Inbound SMTP AUTH attempts by result (success, failure, locked_out).")),
      inbound_messages_by_network_(counter_family(
          *registry_, "mxrelay_inbound_messages_by_network_total",
          "Messages accepted, by the client's server.relay_networks entry, \"authenticated\" "
          "or \"other\".")),
      queue_state_(BuildGauge()
                       .Name("mxrelay_queue_messages_by_state")
                       .Help("Queued messages by state (ready, active, deferred, hold).")
                       .Register(*registry_)),
      oldest_message_age_(BuildGauge()
                              .Name("mxrelay_queue_oldest_message_age_seconds")
                              .Help("Age of the oldest queued message; 0 when the queue is empty.")
                              .Register(*registry_)
                              .Add({})),
      messages_finished_(counter_family(
          *registry_, "mxrelay_messages_finished_total",
          "Messages that left the queue, by outcome (delivered, bounced, expired, deleted).")),
      delivery_attempts_(counter_family(
          *registry_, "mxrelay_delivery_attempts_total",
          "Outbound recipient delivery attempts by status (sent, deferred, bounced) and enhanced "
          "status code (dsn).")),
      outbound_connections_(
          counter_family(*registry_, "mxrelay_outbound_connections_total",
                         "Outbound SMTP connections used, by kind (opened, reused).")),
      outbound_tls_(counter_family(*registry_, "mxrelay_outbound_tls_total",
                                   "Outbound sessions by TLS policy and TLS outcome.")),
      mta_sts_lookups_(counter_family(
          *registry_, "mxrelay_mta_sts_lookups_total",
          "MTA-STS policy lookups by where the policy in force came from (cache, fetch, none).")),
      mta_sts_problems_(counter_family(
          *registry_, "mxrelay_mta_sts_problems_total",
          "MTA-STS lookups that could not get a new policy, by problem (txt_invalid, "
          "txt_lookup, fetch_failed, webpki, policy_invalid).")),
      mta_sts_failures_(counter_family(
          *registry_, "mxrelay_mta_sts_failures_total",
          "Delivery candidates that failed their MTA-STS policy, by mode (enforce: not "
          "delivered there; testing: delivered, reported).")),
      tls_report_sessions_(counter_family(
          *registry_, "mxrelay_tls_report_sessions_total",
          "Outbound TLS sessions counted for TLS reporting (RFC 8460), by result (success or "
          "the result type).")),
      tls_reports_sent_(counter_family(
          *registry_, "mxrelay_tls_reports_sent_total",
          "TLS reports (RFC 8460) delivered to a rua, by transport (mailto, https) and outcome "
          "(sent, failed).")),
      destination_connections_(BuildGauge()
                                   .Name("mxrelay_destination_connections")
                                   .Help("Outbound connections open, by destination (transport "
                                         "entry, or mx for MX-resolved routes).")
                                   .Register(*registry_)),
      unhealthy_addresses_(BuildGauge()
                               .Name("mxrelay_unhealthy_addresses")
                               .Help("Remote addresses skipped by their circuit breaker, by "
                                     "destination (transport entry, or mx).")
                               .Register(*registry_)),
      outbound_auth_failures_(counter_family(
          *registry_, "mxrelay_outbound_auth_failures_total",
          "Outbound SMTP AUTH failures (credentials refused or no usable mechanism), by "
          "transport entry.")),
      outbound_protocol_errors_(counter(
          *registry_, "mxrelay_outbound_protocol_errors_total",
          "Outbound SMTP sessions abandoned because the server sent a reply no command asked "
          "for (the message in flight is deferred).")),
      site_connections_(BuildGauge()
                            .Name("mxrelay_site_connections")
                            .Help("Outbound connections open (busy or idle), by shaping site "
                                  "(other: destinations of no site).")
                            .Register(*registry_)),
      site_suspended_(BuildGauge()
                          .Name("mxrelay_site_suspended")
                          .Help("1 while a shaping site is suspended after a throttling reply.")
                          .Register(*registry_)),
      site_rate_limit_(BuildGauge()
                           .Name("mxrelay_site_rate_limit")
                           .Help("Messages per minute a shaping site is limited to now, after "
                                 "throttling replies (0: no limit).")
                           .Register(*registry_)),
      site_source_connections_(BuildGauge()
                                   .Name("mxrelay_site_source_connections")
                                   .Help("Outbound connections open to a shaping site from one "
                                         "configured source address.")
                                   .Register(*registry_)),
      site_source_suspended_(BuildGauge()
                                 .Name("mxrelay_site_source_suspended")
                                 .Help("1 while one source address's share of a shaping site "
                                       "is suspended after a throttling reply.")
                                 .Register(*registry_)),
      site_throttle_replies_(counter_family(
          *registry_, "mxrelay_site_throttle_replies_total",
          "Replies that matched a site's [[shaping.on_reply]] rules, by site and reaction.")),
      site_deferrals_(counter_family(
          *registry_, "mxrelay_site_deferrals_total",
          "Messages held back by their site's shaping (not counted as failed attempts), by "
          "site and reason (suspended, rate_limit, connection_limit: no cluster lease).")),
      cluster_redis_up_(BuildGauge()
                            .Name("mxrelay_cluster_redis_up")
                            .Help("1 while the [cluster] Redis answers in time; 0 while it does "
                                  "not (each relay keeps to its share of the sites' limits), "
                                  "and without a [cluster].")
                            .Register(*registry_)
                            .Add({})),
      dkim_signatures_(counter_family(
          *registry_, "mxrelay_dkim_signatures_total",
          "DKIM signatures made, per delivery attempt that sent the content, by signing domain "
          "(d=) and algorithm.")),
      dkim_unsigned_(counter_family(
          *registry_, "mxrelay_dkim_unsigned_total",
          "Delivery attempts that sent the content without a DKIM signature although [[dkim]] "
          "is configured, by reason (no_from, several_authors, no_key, malformed_header).")),
      dkim_errors_(counter(*registry_, "mxrelay_dkim_errors_total",
                           "DKIM signing errors (the message was sent unsigned).")),
      delivery_latency_(
          BuildHistogram()
              .Name("mxrelay_delivery_latency_seconds")
              .Help("Time from queue entry to the remote server's 250, per "
                    "recipient.")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60,
                                                               300, 900, 3600, 14400, 86400})),
      spool_syncs_(counter(*registry_, "mxrelay_spool_syncs_total",
                           "fsync-class calls the spool made (data, directory and file system).")),
      spool_commits_(counter(*registry_, "mxrelay_spool_commits_total",
                             "Group commits: durable syncs each covering one or more messages.")),
      spool_commit_batch_(
          BuildHistogram()
              .Name("mxrelay_spool_commit_batch_messages")
              .Help("Messages made durable by one group commit.")
              .Register(*registry_)
              .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 5, 10, 20, 50, 100})),
      disk_errors_(counter_family(*registry_, "mxrelay_disk_errors_total",
                                  "Failed spool writes, syncs, renames or removals, by "
                                  "operation.")) {
  config_last_reload_ok_.Set(1);
  for (auto result : {InboundSessionResult::completed, InboundSessionResult::timeout,
                      InboundSessionResult::error, InboundSessionResult::refused})
    inbound_sessions_.Add({{"result", result_label(result)}});
  for (auto result : {AuthResult::success, AuthResult::failure, AuthResult::locked_out})
    inbound_auth_attempts_.Add({{"result", result_label(result)}});
  for (const char* state : {"ready", "active", "deferred", "hold"})
    queue_state_.Add({{"state", state}});
  for (const char* kind : {"opened", "reused"}) outbound_connections_.Add({{"kind", kind}});
  for (const char* reason :
       {"too_many_connections", "too_many_from_client", "too_many_untrusted", "pregreet"})
    inbound_connections_refused_.Add({{"reason", reason}});
  for (const char* reason : {"idle", "command_deadline", "data_deadline", "tls_handshake"})
    inbound_sessions_cut_off_.Add({{"reason", reason}});
  declare_alerted_series();
  BuildGauge()
      .Name("mxrelay_build_info")
      .Help("Build information; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", MXRELAY_VERSION},
            {"libunbound", resolver::libunbound_version()},
            {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)}})
      .Set(1);
}

// The series alerts compute increase() or rate() of exist at 0 from the start, for every
// label value they can take, so that the first event after a start is an increase.
void Metrics::declare_alerted_series() {
  for (const char* operation : {"store", "outcome", "remove", "hold", "quarantine", "commit"})
    disk_errors_.Add({{"operation", operation}});
  for (auto status : {queue::DeliveryStatus::sent, queue::DeliveryStatus::deferred,
                      queue::DeliveryStatus::bounced})
    recipient_attempts_.Add({{"status", queue::to_string(status)}});
  for (auto type : {resolver::RrType::mx, resolver::RrType::a, resolver::RrType::aaaa,
                    resolver::RrType::tlsa, resolver::RrType::txt})
    for (auto outcome :
         {resolver::DnsOutcome::ok, resolver::DnsOutcome::nodata, resolver::DnsOutcome::nxdomain,
          resolver::DnsOutcome::servfail, resolver::DnsOutcome::timeout,
          resolver::DnsOutcome::bogus, resolver::DnsOutcome::error})
      dns_lookups_.Add(
          {{"type", resolver::to_string(type)}, {"outcome", resolver::to_string(outcome)}});
  for (const auto policy : conf::kTlsPolicyNames)
    for (const char* outcome :
         {"dane_verified", "verified", "unverified", "fallback", "failed", "plaintext"})
      outbound_tls_.Add({{"policy", std::string(policy)}, {"outcome", outcome}});
  for (const char* source : {"cache", "fetch", "none"}) mta_sts_lookups_.Add({{"source", source}});
  for (const char* problem :
       {"txt_invalid", "txt_lookup", "fetch_failed", "webpki", "policy_invalid"})
    mta_sts_problems_.Add({{"problem", problem}});
  for (const char* mode : {"enforce", "testing"}) mta_sts_failures_.Add({{"mode", mode}});
  for (const char* transport : {"mailto", "https"})
    for (const char* outcome : {"sent", "failed"})
      tls_reports_sent_.Add({{"transport", transport}, {"outcome", outcome}});
  // The verdicts with the codes a route ends with most (the DNS temporary failure and "no
  // usable address" among them, which MxrelayRoutesDeferred watches).
  for (const auto& [verdict, dsn] : {std::pair{"deliver", "2.0.0"}, std::pair{"defer", "4.4.3"},
                                     std::pair{"defer", "4.4.4"}, std::pair{"bounce", "5.1.2"}})
    route_verdicts_.Add({{"verdict", verdict}, {"dsn", dsn}});
}

void Metrics::expose(const std::string& listen) {
  try {
    exposer_ = std::make_unique<prometheus::Exposer>(listen, 2, HealthEndpoint::callbacks());
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + listen + ": " + e.what());
  }
  exposer_->RegisterCollectable(registry_);
  exposer_->RegisterCollectable(process_);
}

int Metrics::exposed_port() const {
  return exposer_ ? exposer_->GetListeningPorts().front() : 0;
}

void Metrics::message_received(std::size_t bytes) {
  messages_received_.Increment();
  bytes_received_.Increment(static_cast<double>(bytes));
}

void Metrics::store_failed() {
  store_failures_.Increment();
}

void Metrics::session_opened(const char* direction) {
  sessions_.Add({{"direction", direction}}).Increment();
}

void Metrics::inbound_session_began() {
  inbound_sessions_active_.Increment();
}

void Metrics::inbound_session_ended(InboundSessionResult result) {
  inbound_sessions_active_.Decrement();
  inbound_sessions_.Add({{"result", result_label(result)}}).Increment();
}

void Metrics::inbound_connection_refused(const char* reason) {
  inbound_connections_refused_.Add({{"reason", reason}}).Increment();
  inbound_sessions_.Add({{"result", result_label(InboundSessionResult::refused)}}).Increment();
}

void Metrics::inbound_session_cut_off(const char* reason) {
  inbound_sessions_cut_off_.Add({{"reason", reason}}).Increment();
}

void Metrics::inbound_rejection(const std::optional<core::EnhancedStatus>& status) {
  inbound_rejections_.Add({{"dsn", status ? status->str() : "none"}}).Increment();
}

void Metrics::inbound_tls_handshake(std::string_view version, bool succeeded) {
  inbound_tls_handshakes_
      .Add({{"protocol", succeeded ? std::string(version) : "none"},
            {"result", succeeded ? "success" : "failure"}})
      .Increment();
}

void Metrics::inbound_auth(AuthResult result) {
  inbound_auth_attempts_.Add({{"result", result_label(result)}}).Increment();
}

void Metrics::inbound_message_from(const std::string& network) {
  inbound_messages_by_network_.Add({{"network", network}}).Increment();
}

void Metrics::recipient_attempt(const char* status) {
  recipient_attempts_.Add({{"status", status}}).Increment();
}

void Metrics::message_completed() {
  messages_delivered_.Increment();
}

void Metrics::set_queue_size(double messages) {
  queue_messages_.Set(messages);
}

void Metrics::dsn_sent(const char* action) {
  dsns_.Add({{"action", action}}).Increment();
}

void Metrics::config_reloaded(bool ok) {
  config_reloads_.Add({{"result", ok ? "ok" : "rejected"}}).Increment();
  config_last_reload_ok_.Set(ok ? 1 : 0);
}

void Metrics::set_queue_state(const char* state, double messages) {
  queue_state_.Add({{"state", state}}).Set(messages);
}

void Metrics::set_oldest_message_age(double seconds) {
  oldest_message_age_.Set(seconds);
}

void Metrics::message_finished(const char* outcome) {
  messages_finished_.Add({{"outcome", outcome}}).Increment();
}

void Metrics::delivery_attempt(const char* status, std::string_view dsn) {
  delivery_attempts_.Add({{"status", status}, {"dsn", std::string(dsn)}}).Increment();
}

void Metrics::outbound_connection(bool reused) {
  outbound_connections_.Add({{"kind", reused ? "reused" : "opened"}}).Increment();
}

void Metrics::outbound_tls(const char* policy, const char* outcome) {
  outbound_tls_.Add({{"policy", policy}, {"outcome", outcome}}).Increment();
}

void Metrics::mta_sts_lookup(const char* source) {
  mta_sts_lookups_.Add({{"source", source}}).Increment();
}

void Metrics::mta_sts_problem(const char* problem) {
  mta_sts_problems_.Add({{"problem", problem}}).Increment();
}

void Metrics::mta_sts_failure(const char* mode) {
  mta_sts_failures_.Add({{"mode", mode}}).Increment();
}

void Metrics::declare_tls_report_results(const std::vector<std::string_view>& results) {
  for (const auto result : results) tls_report_sessions_.Add({{"result", std::string(result)}});
}

void Metrics::tls_report_session(std::string_view result) {
  tls_report_sessions_.Add({{"result", std::string(result)}}).Increment();
}

void Metrics::tls_report_sent(const char* transport, const char* outcome) {
  tls_reports_sent_.Add({{"transport", transport}, {"outcome", outcome}}).Increment();
}

void Metrics::set_destination_connections(const std::string& destination, double connections) {
  destination_connections_.Add({{"destination", destination}}).Set(connections);
}

void Metrics::outbound_auth_failure(const std::string& transport) {
  outbound_auth_failures_.Add({{"transport", transport}}).Increment();
}

void Metrics::declare_auth_transports(const std::vector<std::string>& transports) {
  for (const auto& transport : transports) outbound_auth_failures_.Add({{"transport", transport}});
}

void Metrics::outbound_protocol_error() {
  outbound_protocol_errors_.Increment();
}

void Metrics::dkim_signature(const std::string& domain, std::string_view algorithm) {
  dkim_signatures_.Add({{"domain", domain}, {"algorithm", std::string(algorithm)}}).Increment();
}

void Metrics::dkim_unsigned(const char* reason) {
  dkim_unsigned_.Add({{"reason", reason}}).Increment();
}

void Metrics::dkim_error() {
  dkim_errors_.Increment();
}

void Metrics::declare_dkim_keys(const std::vector<std::pair<std::string, std::string>>& keys) {
  for (const auto& [domain, algorithm] : keys)
    dkim_signatures_.Add({{"domain", domain}, {"algorithm", algorithm}});
  for (auto reason : {dkim::Unsigned::no_from, dkim::Unsigned::several_authors,
                      dkim::Unsigned::no_key, dkim::Unsigned::malformed_header})
    dkim_unsigned_.Add({{"reason", dkim::to_string(reason)}});
}

void Metrics::set_site_state(const std::string& site, double connections, bool suspended,
                             double rate_limit) {
  site_connections_.Add({{"site", site}}).Set(connections);
  if (site == "other") return;
  site_suspended_.Add({{"site", site}}).Set(suspended ? 1 : 0);
  site_rate_limit_.Add({{"site", site}}).Set(rate_limit);
}

void Metrics::site_throttle_reply(const std::string& site, const char* reaction) {
  site_throttle_replies_.Add({{"site", site}, {"reaction", reaction}}).Increment();
}

void Metrics::site_deferral(const std::string& site, const char* reason) {
  site_deferrals_.Add({{"site", site}, {"reason", reason}}).Increment();
}

void Metrics::set_cluster_redis_up(bool up) {
  cluster_redis_up_.Set(up ? 1 : 0);
}

void Metrics::set_site_source_state(const std::string& site, const std::string& source,
                                    double connections, bool suspended) {
  site_source_connections_.Add({{"site", site}, {"source_address", source}}).Set(connections);
  site_source_suspended_.Add({{"site", site}, {"source_address", source}}).Set(suspended ? 1 : 0);
}

void Metrics::declare_sites(const std::vector<std::string>& sites,
                            const std::vector<std::string>& sources) {
  site_connections_.Add({{"site", "other"}});
  for (const auto& site : sites) {
    for (const auto& source : sources) {
      site_source_connections_.Add({{"site", site}, {"source_address", source}});
      site_source_suspended_.Add({{"site", site}, {"source_address", source}});
    }
    site_connections_.Add({{"site", site}});
    site_suspended_.Add({{"site", site}});
    site_rate_limit_.Add({{"site", site}});
    for (auto action : {conf::ThrottleAction::suspend, conf::ThrottleAction::halve_rate,
                        conf::ThrottleAction::halve_connections})
      site_throttle_replies_.Add({{"site", site}, {"reaction", conf::to_string(action)}});
    for (auto reason : {"suspended", "rate_limit", "connection_limit"})
      site_deferrals_.Add({{"site", site}, {"reason", reason}});
  }
}

void Metrics::set_unhealthy_addresses(const std::string& destination, double addresses) {
  unhealthy_addresses_.Add({{"destination", destination}}).Set(addresses);
}

void Metrics::delivery_latency(double seconds) {
  delivery_latency_.Observe(seconds);
}

void Metrics::on_commit(std::size_t messages, std::size_t syncs) {
  spool_commits_.Increment();
  spool_syncs_.Increment(static_cast<double>(syncs));
  spool_commit_batch_.Observe(static_cast<double>(messages));
}

void Metrics::on_sync() {
  spool_syncs_.Increment();
}

void Metrics::on_disk_error(const char* operation) {
  disk_errors_.Add({{"operation", operation}}).Increment();
}

void Metrics::on_query(const resolver::DnsAnswer& answer, std::chrono::nanoseconds latency) {
  dns_lookups_
      .Add({{"type", resolver::to_string(answer.qtype)},
            {"outcome", resolver::to_string(answer.outcome)}})
      .Increment();
  dns_latency_.Observe(std::chrono::duration<double>(latency).count());
  if (answer.outcome == resolver::DnsOutcome::ok)
    dns_rrset_size_.Observe(static_cast<double>(answer.mx.size() + answer.addresses.size()));
}

void Metrics::on_route(const resolver::RouteExplanation& explanation) {
  route_verdicts_
      .Add({{"verdict", resolver::verdict_name(explanation.result)},
            {"dsn", dsn_label(explanation.result)}})
      .Increment();
  if (explanation.implicit_mx && explanation.result) implicit_mx_routes_.Increment();
}

}  // namespace mxrelay::mta
