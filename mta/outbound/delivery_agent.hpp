// mta/outbound: the delivery engine. Takes one delivery request (a message, the recipients
// of one destination, the transport decision already made for them) and returns one typed
// outcome per recipient: the destination's back-off is checked first, then the next hop is
// resolved (strict RFC 5321 section 5 or the transport entry), then the shaping site of its
// hosts may hold the message back (suspended, or its rate), then smtp_delivery tries the
// candidates under the site's connection limit; a throttling reply from the site slows the
// site down. Owns the state every delivery shares (address health, destination back-off,
// traffic shaping, TLS contexts, connection pool), the per-delivery log lines (skipped
// addresses, TLS used, refused credentials, a back-off that starts, a site throttled) and the
// connection metrics. With a [cluster], the sites' limits are also the cluster's: a message
// also needs its slot in the site's shared rate bucket, a new connection a lease, and a
// suspension this relay gets is published to the others (and theirs polled and applied here).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <expected>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "conf/config.hpp"
#include "mta/cluster/cluster_limits.hpp"
#include "mta/metrics.hpp"
#include "mta/mta_sts/policy_memory.hpp"
#include "mta/mta_sts/policy_source.hpp"
#include "mta/outbound/smtp_delivery.hpp"
#include "mta/shaping/traffic_shaper.hpp"
#include "mta/tls_report/report_store.hpp"
#include "queue/delivery_delays.hpp"
#include "queue/delivery_outcome.hpp"
#include "queue/message_record.hpp"
#include "resolver/next_hop_resolver.hpp"
#include "resolver/transport_decision.hpp"

namespace mxrelay::mta {

struct DestinationRequest {
  const queue::Envelope& envelope;
  std::span<const std::size_t> recipients;  // indexes into envelope.recipients, one domain
  std::string_view body;                    // canonical CRLF message, Received: included
  const std::string& domain;                // canonical recipient domain
  // decide_transport()'s answer for the domain: a delivering one (not refused, not held).
  const resolver::TransportDecision& decision;
};

struct DestinationOutcome {
  // One per request recipient; empty when the destination is backed off (nothing tried).
  std::vector<queue::DeliveryOutcome> recipients;
  std::optional<std::chrono::system_clock::time_point> backed_off_until;
  std::string backoff_reason;
  std::string transcript;  // of the last failed session, one "C: " / "S: " line each
  queue::AttemptTimes times;
  // The site answered with a throttling reply: the recipients (deferred) wait until then,
  // without counting a failed attempt.
  std::optional<std::chrono::system_clock::time_point> throttled_until;
};

// A share of a site across the cluster, as the last poll (about a second ago) found it.
struct ClusterShareStatus {
  bool shared = false;  // the cluster's limits are in force; else this relay's fallback share
  std::optional<std::size_t> connections;  // every relay's; not known while Redis is not
  std::optional<std::chrono::system_clock::time_point> suspended_until;
  std::string suspended_by;  // the relay that got the suspending reply
  std::string suspension_reply;
};

// One source address's share of a shaping site, with wall-clock times; `cluster` with a
// [cluster] only.
struct SourceStatus {
  SiteView view;
  std::optional<std::chrono::system_clock::time_point> suspended_until;
  std::optional<ClusterShareStatus> cluster;
};

// A shaping site as an operator sees it, with wall-clock times: the whole (whole_site()) and
// each source address's share (one, source "", when no source address is configured).
struct SiteStatus {
  SiteView view;
  std::optional<std::chrono::system_clock::time_point> suspended_until;
  std::vector<SourceStatus> sources;
  std::optional<ClusterShareStatus> cluster;  // all its shares together
};

// The site's state across the cluster from the states of its shares (`shared`: the cluster's
// limits are in force; `shares` empty: not known): every relay's connections of every share,
// and the suspension that lasts longest. Pure.
ClusterShareStatus cluster_status(bool shared, const std::vector<const ShareState*>& shares);

class DeliveryAgent {
 public:
  DeliveryAgent(boost::asio::any_io_executor executor, Metrics& metrics,
                const conf::DeliveryConfig& config);
  // A reload: the TLS CA file and the health thresholds change, the state stays; the MTA-STS
  // cache files are read afresh (an operator may have removed some).
  void reconfigure(const conf::DeliveryConfig& config) {
    context_.reconfigure(config);
    sts_memory_.forget_all();
  }
  // The [[dkim]] entries in force (at start and on every reload).
  void set_dkim(const std::vector<conf::DkimEntry>& entries);
  // The cluster whose limits the sites share (none: this relay's own limits only).
  void set_cluster(std::shared_ptr<ClusterLimits> cluster) { cluster_ = std::move(cluster); }
  bool has_cluster() const { return cluster_ != nullptr; }
  // TLS reporting: every counted session (and refused candidate, and MTA-STS policy that
  // could not be had) of every delivery, under the recipient domain's policy.
  using TlsObserver = std::function<void(const tlsrpt::Observation&)>;
  void set_tls_observer(TlsObserver observer) { tls_observer_ = std::move(observer); }
  // Applies the suspensions other relays of the cluster published for the sites of `config`
  // and the circuit breakers they opened, and keeps the shares' state across the cluster
  // (for sites()). Called about once a second; nothing here waits for it.
  boost::asio::awaitable<void> poll_cluster(std::shared_ptr<const conf::Config> config);

  // config and resolver: the snapshot the attempt started with.
  boost::asio::awaitable<DestinationOutcome> deliver(const conf::Config& config,
                                                     resolver::NextHopResolver& resolver,
                                                     DestinationRequest request);

  // Remote addresses the circuit breaker skips now (for the control socket's "health").
  std::vector<UnhealthyAddress> unhealthy_addresses() const;
  // The same, counted per destination metrics label (a transport-map key or "mx").
  std::unordered_map<std::string, double> unhealthy_by_label() const;
  // Every configured site's state now.
  std::vector<SiteStatus> sites(const conf::Config& config) const;
  // Connections open to no shaping site.
  std::size_t connections_outside_sites(const conf::Config& config) const;
  // The site a recipient domain's mail went to at its last attempt; "" when not known.
  std::string site_of_domain(const std::string& domain) const;
  void close_idle();

 private:
  // Where a domain's mail goes, as far as connections and back-off are concerned.
  struct Destination {
    std::string name;         // next-hop identity: the transport host / MX name, or the domain
    ConnectionLimits limits;  // limits.label: the transport-map key or "mx"
  };
  // A "TLS-Required: No" header (RFC 8689) on a message not sent with REQUIRETLS: the
  // recipient's MTA-STS and DANE policies are not applied to it.
  static bool relaxed_by_header(const DestinationRequest& request);
  // The session policy of the attempt: the route's, raised to verify for REQUIRETLS, DANE
  // dropped to may when `relaxed` (relaxed_by_header).
  static TlsPolicy tls_policy_for(const DestinationRequest& request, bool relaxed);
  static Destination destination_of(const conf::Config& config,
                                    const resolver::TransportDecision& decision,
                                    const std::string& domain);
  // Publishes to the cluster (in the background) the breakers the delivery opened, and ends
  // the holds of the addresses it found healthy.
  void share_health(const std::string& destination, const conf::Config& config,
                    const DeliveryReport& report);
  // The circuit breakers other relays opened, held here until they end.
  void apply_health_holds(const std::vector<RemoteHealthHold>& holds);
  // The state of these source addresses' shares of `site` across the cluster; none without a
  // [cluster].
  std::optional<ClusterShareStatus> cluster_site(const conf::ShapingSite& site,
                                                 const std::vector<std::string>& sources) const;
  // Per-destination back-off bookkeeping after an attempt; logs a back-off that starts.
  void note_destination_outcome(const Destination& destination, const DeliveryReport& report);
  // The site throttled us: slow it down; returns when the message may be tried again.
  std::chrono::steady_clock::time_point note_throttle(const conf::ShapingSite& site,
                                                      const std::string& source,
                                                      const DestinationRequest& request,
                                                      const DeliveryReport& report);
  // The source address the attempt sends from (choose_source over the usable ones); none
  // when no configured source fits the next hop.
  std::optional<core::IpAddress> choose_source_for(
      const conf::ShapingSite* site, const std::string& message_id,
      const std::vector<core::IpAddress>& configured,
      const std::vector<resolver::Candidate>& candidates);
  // Whether a usable source address other than `source` has its share of the site going.
  bool another_source_open(const conf::ShapingSite& site, const std::string& source,
                           const std::vector<core::IpAddress>& configured,
                           const std::vector<resolver::Candidate>& candidates) const;
  // The configured source addresses' names, and "" for the kernel's choice.
  static std::vector<std::string> source_names(const conf::Config& config);
  void remember_site(const std::string& domain, const std::string& site);
  // The time a message to the site may leave by the cluster's rate bucket at `rate` (a slot
  // kept for the message when it was sent away to wait for it).
  boost::asio::awaitable<std::chrono::steady_clock::time_point> cluster_slot(std::string site,
                                                                             std::string message_id,
                                                                             double rate);
  // The cluster's lease for a new connection to the site, or when to try again.
  boost::asio::awaitable<std::expected<std::shared_ptr<const void>, SiteHold>> cluster_lease(
      std::string site, std::size_t limit);
  void count(const DeliveryReport& report);
  // The MTA-STS policy in force for the route's domain (decision.mta_sts), counted and logged.
  boost::asio::awaitable<sts::PolicyLookup> mta_sts_policy(const conf::Config& config,
                                                           resolver::NextHopResolver& resolver,
                                                           const DestinationRequest& request);
  void report_tls(const DestinationRequest& request, const sts::PolicyLookup& sts,
                  const DeliveryReport& report);
  void log(const DestinationRequest& request, const Destination& destination,
           const DeliveryRequest& delivery, const DeliveryReport& report);

  boost::asio::any_io_executor executor_;
  Metrics& metrics_;
  DeliveryContext context_;
  sts::PolicyMemory sts_memory_;
  // Metrics label of every destination with unhealthy addresses seen (absent: "mx").
  std::unordered_map<std::string, std::string> destination_labels_;
  TrafficShaper shaper_;
  std::unordered_map<std::string, std::string> domain_sites_;  // for `queue summary`
  std::shared_ptr<ClusterLimits> cluster_;
  // The shares' state across the cluster at the last poll, by share name; empty when Redis
  // did not answer it.
  std::unordered_map<std::string, ShareState> cluster_shares_;
  // Cluster rate slots of messages sent away to wait for them, by message ID.
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> cluster_slots_;
  // When each source address was last chosen (a counter), for the round robin.
  std::unordered_map<std::string, std::uint64_t> source_chosen_;
  std::uint64_t choices_ = 0;
  TlsObserver tls_observer_;
};

}  // namespace mxrelay::mta
