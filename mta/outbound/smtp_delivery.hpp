// mta/outbound: one delivery attempt of one message to one destination over SMTP. Tries the
// resolver's candidates in order, skipping addresses whose circuit breaker is open (unless
// all are: then the least recently failed one is tried), connects with a timeout, starts TLS
// per the TLS policy (with `may`, a failed handshake is retried once in plaintext on the
// same address, RFC 7435), drives an SmtpClientSession, and moves to the next address when
// the failure is the connection's (refused, timeout, TLS, 4xx/5xx greeting, dropped).
// With connection reuse (DeliveryRequest::connections), connections come from the
// DeliveryContext's ConnectionPool: an idle session to the same destination is taken when
// there is one (and if it turns out dead, the message goes once over a fresh connection),
// new ones wait for a slot under the limits, and after the message a session that may carry
// more is parked instead of QUIT. With credentials every session authenticates (AUTH only
// over TLS); refused credentials end the attempt at once, costing the address no health.
// Reports each recipient's outcome, what was said, the TLS used and the connections opened
// or reused.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conf/config.hpp"
#include "mta/dkim/dkim_signer.hpp"
#include "mta/mta_sts/sts_policy.hpp"
#include "mta/outbound/address_health.hpp"
#include "mta/outbound/client_connection.hpp"
#include "mta/outbound/connection_pool.hpp"
#include "mta/outbound/destination_backoff.hpp"
#include "mta/protocol/tls_policy_rules.hpp"
#include "mta/tls_report/tls_result.hpp"
#include "queue/delivery_outcome.hpp"
#include "queue/message_record.hpp"
#include "resolver/route.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta {

// The TLS of the session that produced the report's outcome.
struct DeliveryTls {
  TlsPolicy policy = TlsPolicy::none;
  bool used = false;         // the message went over TLS
  bool fell_back = false;    // `may`: the handshake failed, then plaintext was used
  std::string version;       // "TLSv1.3"; "" without TLS
  std::string cipher;        // "TLS_AES_256_GCM_SHA384"
  std::string verification;  // "verified" or "unverified (reason)"; "" without TLS
};

// TLS-RPT (RFC 8460): one new session's outcome, or one candidate refused before connecting.
struct TlsSessionRecord {
  tlsrpt::Result result = tlsrpt::Result::success;
  bool dane = false;                       // DANE applied to the candidate (policy type tlsa)
  std::vector<resolver::TlsaRecord> tlsa;  // its usable TLSA records
  std::string receiving_mx;
  std::string receiving_ip;
  std::string sending_ip;  // "" when not connected
};

struct DeliveryReport {
  queue::RemoteServer remote;                      // the last address talked to (or tried)
  std::vector<queue::DeliveryOutcome> recipients;  // one per DeliveryRequest::recipients
  std::vector<std::string> transcript;             // of the last failed session, without content
  DeliveryTls tls;
  // "ip: reason" of addresses skipped as unhealthy, or passed over as unable to carry the
  // message (REQUIRETLS).
  std::vector<std::string> skipped;
  // Addresses whose circuit breaker this delivery opened (with the failure), and held ones it
  // found healthy again: what a cluster shares with its other relays.
  std::vector<std::pair<core::IpAddress, std::string>> health_opened;
  std::vector<core::IpAddress> health_cleared;
  // Every address failed at the connection level (or none could be tried): the destination
  // failed as a whole.
  bool destination_failed = false;
  unsigned connections_opened = 0;
  unsigned connections_reused = 0;
  // One per new session: verified, unverified, plaintext, fallback or failed.
  std::vector<const char*> tls_outcomes;
  // With credentials: how AUTH went on the last session (refused and unavailable end the
  // attempt without trying further addresses: every one would get the same credentials).
  AuthOutcome auth = AuthOutcome::none;
  std::string auth_reply;  // the server's refusal, "535 5.7.8 ..."; "" otherwise
  // Sessions that ended because the server's replies and our commands were out of step.
  unsigned protocol_errors = 0;
  // DKIM on the last session that sent the content: the signatures made, or why none was.
  std::vector<dkim::Signature> dkim_signatures;
  std::optional<dkim::Unsigned> dkim_unsigned;
  bool dkim_error = false;  // signing failed: the content went unsigned
  // The last message transmission: when MAIL FROM went out, and how long until its end.
  std::optional<std::chrono::steady_clock::time_point> transmission_start;
  std::chrono::steady_clock::duration transmission{};
  // A reply that matched one of DeliveryRequest::throttle_rules, and the rule.
  const conf::ThrottleRule* throttle_rule = nullptr;
  std::string throttle_reply;
  // The site was suspended when the message was about to go, or the cluster had no lease for
  // a new connection to it: nothing was sent (no outcome, no attempt) and it may go again at
  // this time.
  std::optional<std::chrono::steady_clock::time_point> site_held_until;
  std::string site_held_reason;  // the cluster's refusal; "" for a suspension
  // MTA-STS: candidates not used or sessions failed under an enforce policy, and what a
  // testing policy would have refused ("mx.example: MX host ... is not listed").
  unsigned sts_enforced_failures = 0;
  std::vector<std::string> sts_testing_failures;
  std::vector<TlsSessionRecord> tls_sessions;
};

// Why the cluster gives no lease for a new connection to a site, and when to try again.
struct SiteHold {
  std::chrono::steady_clock::time_point until;
  std::string reason;
};

// How a delivery may share connections (the pool is the DeliveryContext's).
struct ConnectionLimits {
  std::string label;  // metrics label of the destination: a transport-map key or "mx"
  std::string site;   // the destination's shaping site ("" for none) and its limit now (0: none)
  std::size_t site_limit = 0;
  std::size_t per_destination = 10;
  std::size_t total = 20;
  std::size_t max_messages_per_connection = 100;
  std::chrono::steady_clock::duration idle_time = std::chrono::seconds(5);
};

struct DeliveryRequest {
  const queue::Envelope& envelope;
  std::span<const std::size_t> recipients;  // indexes of the recipients for this destination
  std::string_view body;                    // canonical CRLF message, Received: included
  std::string_view destination = {};        // health key; "" = the first recipient's domain
  // nullptr: no pool, every delivery connects and QUITs on its own.
  const ConnectionLimits* connections = nullptr;
  // Needed for the dane / dane-only policies (TLSA lookups and the route's DNSSEC status);
  // both must outlive the delivery.
  resolver::UnboundClient* dns = nullptr;
  const resolver::RouteExplanation* route = nullptr;
  // The transport entry's [auth.NAME] table and its credentials: AUTH on every session,
  // sent only over TLS (tls = "none" then fails before connecting, 4.7.4).
  std::string auth_table = {};
  std::optional<ClientCredentials> credentials = {};
  bool implicit_tls = false;  // TLS from the first byte (RFC 8314)
  // The shaping site's "slow down" replies: one ends the attempt (no further address of the
  // same provider is tried) and costs the address no health.
  std::span<const conf::ThrottleRule> throttle_rules = {};
  // When the shaping site is suspended now, until when; asked once a connection (or a slot
  // for one) is granted, so a message that waited for it does not go into a suspension
  // another message's reply began meanwhile. Empty: no site.
  std::function<std::optional<std::chrono::steady_clock::time_point>()> site_suspended = {};
  // The cluster's lease for a new connection to the site, asked once a slot for one is granted
  // (a reused connection holds its own): kept with the connection's slot until it closes.
  // Empty: no cluster.
  std::function<boost::asio::awaitable<std::expected<std::shared_ptr<const void>, SiteHold>>()>
      site_lease = {};
  // The MTA-STS policy in force for the recipient domain; nullptr: none (or not applicable).
  const sts::DomainPolicy* sts = nullptr;
  // The source address the attempt sends from (the delivery engine's choice among
  // delivery.source_addresses), bound for candidates of its family; a candidate of the other
  // family uses the first configured source of its family, else the kernel's choice.
  std::optional<core::IpAddress> source = {};
};

// State shared by all deliveries of a running instance (one per io_context thread): the
// per-address health, the per-destination back-off, the TLS context and the connections.
// Built from delivery.tls_ca_file and delivery.health_*; reconfigure() applies a reload's
// values and keeps the state.
class DeliveryContext {
 public:
  explicit DeliveryContext(const conf::DeliveryConfig& config = {});
  void reconfigure(const conf::DeliveryConfig& config);

  AddressHealth& health() { return health_; }
  const AddressHealth& health() const { return health_; }
  DestinationBackoff& backoff() { return backoff_; }
  ClientTlsContexts& tls_contexts() { return tls_contexts_; }
  ConnectionPool& pool() { return pool_; }
  const ConnectionPool& pool() const { return pool_; }
  // The [[dkim]] signer of the configuration in force; nullptr or empty: no signing.
  void set_signer(std::shared_ptr<const dkim::DkimSigner> signer) { signer_ = std::move(signer); }
  const std::shared_ptr<const dkim::DkimSigner>& signer() const { return signer_; }

 private:
  AddressHealth health_;
  DestinationBackoff backoff_;
  ClientTlsContexts tls_contexts_;
  ConnectionPool pool_;
  std::shared_ptr<const dkim::DkimSigner> signer_;
};

boost::asio::awaitable<DeliveryReport> deliver(boost::asio::any_io_executor executor,
                                               const std::vector<resolver::Candidate>& candidates,
                                               DeliveryRequest request,
                                               const conf::DeliveryConfig& config,
                                               std::string helo_name, DeliveryContext& context,
                                               TlsPolicy tls_policy);

}  // namespace mxrelay::mta
