// mta/cluster: the limits the relays of a cluster share through Redis, as the delivery engine
// asks for them: a connection lease per site (held while the connection is open, renewed in the
// background so that a crashed relay's leases expire), a message's slot in the site's shared
// rate bucket, and a site's suspension, published by the relay that got the throttling reply
// and polled by the others; the circuit breakers a relay opens for remote addresses, held
// by the others until they end or an address proves healthy; each share's connections and
// suspension across the cluster, for the operator. Whenever Redis is unreachable (down, or a reply
// later than cluster.timeout) each call falls back at once to this relay's share of the limits
// (cluster_fallback), kept here; the change is logged once (event=cluster_unavailable,
// event=cluster_available) and reported to the availability handler (the metrics gauge).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "mta/cluster/cluster_fallback.hpp"
#include "mta/cluster/cluster_keys.hpp"
#include "mta/cluster/redis_connection.hpp"
#include "mta/cluster/redis_script.hpp"
#include "mta/shaping/token_bucket.hpp"

namespace mxrelay::mta {

struct ClusterOptions {
  conf::ClusterConfig config;
  std::string node;  // this relay's name in the cluster: unique, without spaces
  std::chrono::milliseconds lease_lifetime{15000};
  std::chrono::milliseconds renew_interval{5000};
};

// A connection to a site counted against its limit.
struct ConnectionLease {
  std::string site;
  std::string member;   // "NODE:N"
  bool shared = false;  // counted in Redis; else only here (Redis was unavailable)
};

// A lease given back when the last copy of it is destroyed.
using HeldLease = std::shared_ptr<const ConnectionLease>;

// A suspension another relay published.
struct RemoteSuspension {
  std::string site;
  std::chrono::steady_clock::time_point until;
  std::string reply;
  std::string node;
};

// A circuit breaker another relay of the cluster opened.
struct RemoteHealthHold {
  std::string destination;
  std::string address;
  std::chrono::steady_clock::time_point until;
  std::string reason;
  std::string node;
};

// health_holds_script()'s reply as the holds of relays other than `node`, their ends on this
// relay's steady clock; entries that are not holds are left out. Pure.
std::vector<RemoteHealthHold> decode_health_holds(const RedisReply& reply, std::string_view node,
                                                  std::chrono::steady_clock::time_point now);

// A share of a site (share_name()) across the cluster.
struct ShareState {
  std::string share;
  std::size_t connections = 0;  // the leases of every relay, not expired
  std::optional<SuspensionRecord> suspension;
};

// A suspension record's end on this relay's steady clock. Pure.
std::chrono::steady_clock::time_point steady_until(
    std::int64_t until_unix_ms, std::chrono::system_clock::time_point system_now,
    std::chrono::steady_clock::time_point steady_now);

class ClusterLimits : public std::enable_shared_from_this<ClusterLimits> {
 public:
  using Clock = std::chrono::steady_clock;
  // Called with true when the cluster becomes available, false when it becomes unavailable.
  using AvailabilityHandler = std::function<void(bool available)>;

  static std::shared_ptr<ClusterLimits> create(boost::asio::any_io_executor executor,
                                               ClusterOptions options,
                                               AvailabilityHandler on_availability);
  ClusterLimits(const ClusterLimits&) = delete;
  ClusterLimits& operator=(const ClusterLimits&) = delete;

  // Connects (in the background) and starts renewing the leases held; stop() ends both.
  void start();
  void stop();
  bool available() const { return availability_.up(); }

  // A lease for a new connection to `site` under `limit` (0: no limit, always granted, not
  // counted in Redis); none while the site is at its limit.
  boost::asio::awaitable<std::optional<ConnectionLease>> acquire_connection(std::string site,
                                                                            std::size_t limit);
  // The connection of `lease` closed.
  boost::asio::awaitable<void> release_connection(ConnectionLease lease);
  // acquire_connection() as a handle that releases the lease (in the background) when its last
  // copy goes: kept with the connection, it lasts as long as the connection.
  boost::asio::awaitable<std::optional<HeldLease>> hold_connection(std::string site,
                                                                   std::size_t limit);
  // How long a message to `site` waits for its slot at `per_minute` (in force now; 0: no
  // limit), the slot being reserved.
  boost::asio::awaitable<Clock::duration> rate_delay(std::string site, double per_minute);
  // This relay got a suspending reply from `site`: the others learn of it at their next poll.
  boost::asio::awaitable<void> publish_suspension(std::string site, Clock::time_point until,
                                                  std::string reply);
  // The suspensions of these sites that other relays published, that last beyond now and that
  // no earlier poll returned.
  boost::asio::awaitable<std::vector<RemoteSuspension>> poll_suspensions(
      std::vector<std::string> sites);

  // This relay opened the circuit breaker of `address` of `destination` for `hold`: the others
  // skip it too until then (they learn it at their next poll).
  boost::asio::awaitable<void> publish_health_hold(std::string destination, std::string address,
                                                   Clock::duration hold, std::string reason);
  // The address proved healthy here: its hold ends for every relay.
  boost::asio::awaitable<void> clear_health_hold(std::string destination, std::string address);
  // The holds other relays published that last beyond now; nullopt when Redis gave no answer
  // (the holds are not known now).
  boost::asio::awaitable<std::optional<std::vector<RemoteHealthHold>>> poll_health_holds();
  // These shares' connections and suspensions across the cluster; nullopt when Redis gave no
  // answer.
  boost::asio::awaitable<std::optional<std::vector<ShareState>>> share_states(
      std::vector<std::string> shares);

  // Leases held by this relay for `site` (shared or not).
  std::size_t leases(const std::string& site) const;

 private:
  ClusterLimits(boost::asio::any_io_executor executor, ClusterOptions options,
                AvailabilityHandler on_availability);
  boost::asio::awaitable<void> renew_loop();
  boost::asio::awaitable<void> renew();
  // The outcome of one call or one connection change.
  void note(bool up, const std::string& reason);
  Clock::time_point deadline() const { return Clock::now() + options_.config.timeout; }
  std::string new_member();
  ConnectionLease hold(const std::string& site, std::string member, bool shared);

  boost::asio::any_io_executor executor_;
  ClusterOptions options_;
  AvailabilityHandler on_availability_;
  std::shared_ptr<RedisConnection> redis_;
  ClusterAvailability availability_;
  RedisScript acquire_script_;
  RedisScript renew_script_;
  RedisScript rate_script_;
  RedisScript publish_health_script_;
  RedisScript health_holds_script_;
  RedisScript share_state_script_;
  std::map<std::string, ConnectionLease> held_;  // by member
  std::map<std::string, std::size_t, std::less<>> held_per_site_;
  std::map<std::string, TokenBucket, std::less<>> fallback_buckets_;  // by site
  std::map<std::string, std::int64_t, std::less<>> polled_until_;     // by site: Unix ms
  std::uint64_t next_lease_ = 0;
  boost::asio::steady_timer renew_timer_;
  bool stopped_ = false;
};

}  // namespace mxrelay::mta
