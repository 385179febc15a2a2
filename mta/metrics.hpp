// mta: the Prometheus metrics of one mxrelay process: the registry, the families every
// module reports into, and the HTTP exposer on metrics.listen. Also the resolver's
// observer, so DNS lookups and route verdicts are counted without the resolver knowing
// about Prometheus. Label values come from small fixed sets only (never addresses or ids):
// enhanced status codes the server itself emits, TLS version names, and the CIDR strings
// of server.relay_networks.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/smtp_status.hpp"

#include "mta/process_metrics.hpp"
#include "queue/spool_observer.hpp"
#include "resolver/resolver_observer.hpp"

namespace mxrelay::mta {

// How an inbound SMTP connection ended.
enum class InboundSessionResult {
  completed,  // the protocol closed it (QUIT, or 421 after too many errors)
  timeout,    // the client was idle past server.timeout
  error,      // the connection failed or the client left without QUIT, or TLS failed
  refused,    // over the connection limits: 421 before any session
};

enum class AuthResult { success, failure, locked_out };

class Metrics : public resolver::ResolverObserver, public queue::SpoolObserver {
 public:
  Metrics();

  // Serves GET /metrics (and GET /healthz, see HealthEndpoint) on "addr:port"; throws
  // std::runtime_error when it cannot bind.
  void expose(const std::string& listen);
  // The bound port (after expose), useful with port 0.
  int exposed_port() const;

  void message_received(std::size_t bytes);
  void store_failed();
  void session_opened(const char* direction);
  // An inbound session began (sessions active +1); every begun session must end.
  void inbound_session_began();
  void inbound_session_ended(InboundSessionResult result);
  // A connection refused before any session: over a connection limit (the reason is
  // ConnectionAdmission's name) or "pregreet".
  void inbound_connection_refused(const char* reason);
  // A session ended by a timeout: "idle", "command_deadline", "data_deadline",
  // "tls_handshake".
  void inbound_session_cut_off(const char* reason);
  // The server answered a 4xx/5xx reply with this enhanced status code (none: without one).
  void inbound_rejection(const std::optional<core::EnhancedStatus>& status);
  // A STARTTLS handshake ended; version is the negotiated one ("TLSv1.3"), ignored on failure.
  void inbound_tls_handshake(std::string_view version, bool succeeded);
  void inbound_auth(AuthResult result);
  // An accepted message's client: a server.relay_networks CIDR, "authenticated" or "other".
  void inbound_message_from(const std::string& network);
  // One recipient's delivery attempt ended: status is "sent", "deferred" or "bounced".
  void recipient_attempt(const char* status);
  void message_completed();
  void set_queue_size(double messages);
  void config_reloaded(bool ok);
  // A delivery status notification was queued; action: failed, delayed or relayed.
  void dsn_sent(const char* action);

  // Queue contents by state (ready, active, deferred, hold) and the oldest message's age.
  void set_queue_state(const char* state, double messages);
  void set_oldest_message_age(double seconds);
  // A message left the queue: delivered, bounced (a DSN went out for a failed recipient),
  // expired (past queue.max_age) or deleted (by the operator).
  void message_finished(const char* outcome);

  // One outbound delivery attempt of one recipient ended: status sent, deferred or bounced,
  // with the enhanced status code ("2.0.0", "4.4.1", ...).
  void delivery_attempt(const char* status, std::string_view dsn);
  // An outbound connection was opened (reused = false) or taken from the idle pool.
  void outbound_connection(bool reused);
  // A TLS outcome of an outbound session under a policy: outcome is verified, unverified,
  // dane_verified, plaintext, fallback (may: plaintext after a failed handshake) or failed.
  void outbound_tls(const char* policy, const char* outcome);
  // MTA-STS: a policy lookup ended with the policy from `source` (cache, fetch, none); a new
  // policy could not be had (`problem`: txt_invalid, txt_lookup, fetch_failed, webpki,
  // policy_invalid); a candidate failed the policy (mode enforce: not delivered there;
  // testing: reported only).
  void mta_sts_lookup(const char* source);
  void mta_sts_problem(const char* problem);
  void mta_sts_failure(const char* mode);
  // TLS-RPT (RFC 8460): sessions counted by result ("success" or a result type, as a label:
  // "certificate_expired"; declared up front by the reporter), and reports sent by
  // transport (mailto, https) and outcome (sent, failed).
  void declare_tls_report_results(const std::vector<std::string_view>& results);
  void tls_report_session(std::string_view result);
  void tls_report_sent(const char* transport, const char* outcome);
  // Outbound connections open now to a destination (a transport-map entry's key, or "mx"
  // for routes found by MX resolution: a bounded set).
  void set_destination_connections(const std::string& destination, double connections);
  // Remote addresses whose circuit breaker is open, by destination (bounded as above).
  void set_unhealthy_addresses(const std::string& destination, double addresses);
  // Time from queue entry to the remote 250 for one recipient.
  void delivery_latency(double seconds);
  // A smart host refused the credentials of a transport entry (its key), or offered no
  // usable AUTH mechanism.
  void outbound_auth_failure(const std::string& transport);
  // Makes the auth failure counter of each of these transport entries exist at 0, so that
  // an alert sees the first failure after a start.
  void declare_auth_transports(const std::vector<std::string>& transports);
  // An outbound session ended because the server sent a reply no command asked for.
  void outbound_protocol_error();
  // DKIM, per delivery attempt that sent content: a signature made (d= and a=), a message sent
  // unsigned (no_from, several_authors, no_key, malformed_header) or a signing error (sent
  // unsigned).
  void dkim_signature(const std::string& domain, std::string_view algorithm);
  void dkim_unsigned(const char* reason);
  void dkim_error();
  // Makes the signature counter of each configured domain and algorithm exist at 0.
  void declare_dkim_keys(const std::vector<std::pair<std::string, std::string>>& keys);

  // Traffic shaping, by site (a [[shaping]] site, or "other" for connections to no site): the
  // connections open, whether it is suspended, the message rate in force (0: no limit).
  void set_site_state(const std::string& site, double connections, bool suspended,
                      double rate_limit);
  // A throttling reply from a site and the reaction (ThrottleAction) it caused.
  void site_throttle_reply(const std::string& site, const char* reaction);
  // A message held back by its site's shaping: suspended, rate_limit or connection_limit (the
  // cluster had no lease for a new connection).
  void site_deferral(const std::string& site, const char* reason);
  // One source address's share of a site (delivery.source_addresses): its connections open
  // and whether it is suspended.
  void set_site_source_state(const std::string& site, const std::string& source, double connections,
                             bool suspended);
  // Makes every site's series exist at 0 (at start and on every reload), per source address
  // too.
  void declare_sites(const std::vector<std::string>& sites,
                     const std::vector<std::string>& sources = {});
  // Whether the [cluster] Redis answers (it exists from the start, at 0).
  void set_cluster_redis_up(bool up);

  void on_commit(std::size_t messages, std::size_t syncs) override;
  void on_sync() override;
  void on_disk_error(const char* operation) override;

  void on_query(const resolver::DnsAnswer& answer, std::chrono::nanoseconds latency) override;
  void on_route(const resolver::RouteExplanation& explanation) override;

 private:
  void declare_alerted_series();
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<ProcessMetrics> process_ = std::make_shared<ProcessMetrics>();

  prometheus::Counter& messages_received_;
  prometheus::Counter& bytes_received_;
  prometheus::Counter& messages_delivered_;
  prometheus::Counter& store_failures_;
  prometheus::Family<prometheus::Counter>& sessions_;
  prometheus::Family<prometheus::Counter>& recipient_attempts_;
  prometheus::Gauge& queue_messages_;
  prometheus::Family<prometheus::Counter>& dns_lookups_;
  prometheus::Histogram& dns_latency_;
  prometheus::Histogram& dns_rrset_size_;
  prometheus::Family<prometheus::Counter>& route_verdicts_;
  prometheus::Counter& implicit_mx_routes_;
  prometheus::Family<prometheus::Counter>& config_reloads_;
  prometheus::Family<prometheus::Counter>& dsns_;
  prometheus::Gauge& config_last_reload_ok_;
  prometheus::Gauge& inbound_sessions_active_;
  prometheus::Family<prometheus::Counter>& inbound_sessions_;
  prometheus::Family<prometheus::Counter>& inbound_connections_refused_;
  prometheus::Family<prometheus::Counter>& inbound_sessions_cut_off_;
  prometheus::Family<prometheus::Counter>& inbound_rejections_;
  prometheus::Family<prometheus::Counter>& inbound_tls_handshakes_;
  prometheus::Family<prometheus::Counter>& inbound_auth_attempts_;
  prometheus::Family<prometheus::Counter>& inbound_messages_by_network_;
  prometheus::Family<prometheus::Gauge>& queue_state_;
  prometheus::Gauge& oldest_message_age_;
  prometheus::Family<prometheus::Counter>& messages_finished_;
  prometheus::Family<prometheus::Counter>& delivery_attempts_;
  prometheus::Family<prometheus::Counter>& outbound_connections_;
  prometheus::Family<prometheus::Counter>& outbound_tls_;
  prometheus::Family<prometheus::Counter>& mta_sts_lookups_;
  prometheus::Family<prometheus::Counter>& mta_sts_problems_;
  prometheus::Family<prometheus::Counter>& mta_sts_failures_;
  prometheus::Family<prometheus::Counter>& tls_report_sessions_;
  prometheus::Family<prometheus::Counter>& tls_reports_sent_;
  prometheus::Family<prometheus::Gauge>& destination_connections_;
  prometheus::Family<prometheus::Gauge>& unhealthy_addresses_;
  prometheus::Family<prometheus::Counter>& outbound_auth_failures_;
  prometheus::Counter& outbound_protocol_errors_;
  prometheus::Family<prometheus::Gauge>& site_connections_;
  prometheus::Family<prometheus::Gauge>& site_suspended_;
  prometheus::Family<prometheus::Gauge>& site_rate_limit_;
  prometheus::Family<prometheus::Gauge>& site_source_connections_;
  prometheus::Family<prometheus::Gauge>& site_source_suspended_;
  prometheus::Family<prometheus::Counter>& site_throttle_replies_;
  prometheus::Family<prometheus::Counter>& site_deferrals_;
  prometheus::Gauge& cluster_redis_up_;
  prometheus::Family<prometheus::Counter>& dkim_signatures_;
  prometheus::Family<prometheus::Counter>& dkim_unsigned_;
  prometheus::Counter& dkim_errors_;
  prometheus::Histogram& delivery_latency_;
  prometheus::Counter& spool_syncs_;
  prometheus::Counter& spool_commits_;
  prometheus::Histogram& spool_commit_batch_;
  prometheus::Family<prometheus::Counter>& disk_errors_;
};

}  // namespace mxrelay::mta
