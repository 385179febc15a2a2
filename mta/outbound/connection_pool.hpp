// mta/outbound: outbound SMTP connections kept for reuse, and the limits on how many may be open. A
// connection that finished a message and is ready for the next one is parked idle under its
// key (destination, remote address and port, TLS policy, HELO name, credentials); the next delivery
// to the same key takes it instead of connecting. Every open connection (busy or idle) holds a
// ConnectionSlot, counted against a total limit, a per-destination limit and, for a
// destination of a shaping site, the site's limit (shared by every destination of the site),
// counted per source address (each source address has the whole of the site's limit);
// a slot may also hold the cluster's lease for its connection, given back with the slot.
// A delivery that can get neither an idle connection nor a slot waits, first come first
// served; when the total limit is reached while other destinations hold idle connections, the
// longest idle one is closed to make room (one of the same destination or site when that is
// what is full).
// Idle connections are closed after their idle time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/ip_address.hpp"
#include "mta/outbound/client_connection.hpp"
#include "mta/protocol/smtp_client_session.hpp"
#include "mta/protocol/tls_policy_rules.hpp"
#include "queue/delivery_outcome.hpp"
#include "resolver/tlsa_record.hpp"

namespace mxrelay::mta {

// What makes two connections interchangeable.
struct ConnectionKey {
  std::string destination;  // the next hop's identity (transport host or MX-resolved domain)
  core::IpAddress address;
  std::uint16_t port = 25;
  TlsPolicy tls = TlsPolicy::none;  // the policy asked for (not the one a fallback ended at)
  std::string helo_name;
  bool implicit_tls = false;
  std::string auth = {};  // the [auth.NAME] table the session authenticated with; "" for none
  std::string source = {};  // the local address it is bound to; "" when the kernel chose it
  auto operator<=>(const ConnectionKey&) const = default;
};

class ConnectionPool;

// The right to have one connection open to a destination; given back when destroyed. A
// default-constructed slot is not counted anywhere (deliveries that use no pool).
class ConnectionSlot {
 public:
  ConnectionSlot() = default;
  ConnectionSlot(ConnectionPool& pool, std::weak_ptr<void> pool_alive, std::string destination,
                 std::string label, std::string site, std::string source);
  ConnectionSlot(ConnectionSlot&& other) noexcept;
  ConnectionSlot& operator=(ConnectionSlot&& other) noexcept;
  ConnectionSlot(const ConnectionSlot&) = delete;
  ConnectionSlot& operator=(const ConnectionSlot&) = delete;
  ~ConnectionSlot();

  const std::string& destination() const { return destination_; }
  const std::string& label() const { return label_; }
  const std::string& site() const { return site_; }
  const std::string& source() const { return source_; }
  // Keeps `lease` (the cluster's count of this connection) until the slot goes.
  void hold(std::shared_ptr<const void> lease) { lease_ = std::move(lease); }
  bool holds_lease() const { return lease_ != nullptr; }

 private:
  ConnectionPool* pool_ = nullptr;
  std::weak_ptr<void> pool_alive_;  // the pool may end before a connection's last coroutine
  std::string destination_;
  std::string label_;
  std::string site_;  // the shaping site; "" for none
  std::string source_;  // the source address; "" when the kernel chooses
  std::shared_ptr<const void> lease_;
};

// An SMTP session on an open connection, between messages.
struct OpenConnection {
  OpenConnection(ConnectionSlot slot, ConnectionKey key, boost::asio::any_io_executor executor,
                 ClientSessionContext context)
      : slot(std::move(slot)),
        key(std::move(key)),
        connection(executor),
        session(std::move(context)),
        idle_timer(executor) {}

  ConnectionSlot slot;
  ConnectionKey key;
  ClientConnection connection;
  SmtpClientSession session;
  queue::RemoteServer remote;  // host (the TLS name check), address and port
  std::optional<ClientTlsInfo> tls;
  // DANE: the usable TLSA records the certificate must match (empty: no DANE authentication).
  std::vector<resolver::TlsaRecord> tlsa;
  bool fell_back = false;         // `may`: plaintext after a failed handshake
  std::size_t messages_sent = 0;  // messages started on this connection
  std::chrono::steady_clock::duration quit_timeout = std::chrono::seconds(30);
  boost::asio::steady_timer idle_timer;
  std::uint64_t parked_as = 0;  // the pool's ticket while idle
};

// What a delivery is allowed: reuse this idle connection, or open one with this slot.
using ConnectionGrant = std::variant<std::unique_ptr<OpenConnection>, ConnectionSlot>;

struct ConnectionRequest {
  std::string destination;
  std::string label;  // metrics label of the destination (bounded set)
  std::size_t destination_limit = 1;
  std::size_t total_limit = 1;
  std::vector<ConnectionKey> keys;  // idle connections the delivery could use, by preference
  std::string site = {};            // the destination's shaping site; "" for none
  std::size_t site_limit = 0;       // the site's connection limit now (per source); 0: none
  std::string source = {};          // the source address the connection comes from
};

class ConnectionPool {
 public:
  // Ends a connection politely (QUIT, then close).
  using Close = std::function<boost::asio::awaitable<void>(OpenConnection&)>;
  // Connections open per metrics label changed.
  using Observer = std::function<void(const std::string& label, std::size_t connections)>;

  explicit ConnectionPool(Close close) : close_(std::move(close)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  void set_observer(Observer observer) { observer_ = std::move(observer); }

  // Waits until an idle connection for one of the request's keys or a new slot is available.
  boost::asio::awaitable<ConnectionGrant> acquire(ConnectionRequest request);
  // A connection ready for another message: kept for idle_time, then closed.
  void park(std::unique_ptr<OpenConnection> connection,
            std::chrono::steady_clock::duration idle_time);
  // Closes every idle connection (shutdown).
  void close_idle();

  std::size_t open_connections() const { return total_; }
  std::size_t open_connections(const std::string& destination) const;
  std::size_t site_connections(const std::string& site) const;
  // Connections open to `site` from `source`, and from `source` in all.
  std::size_t site_connections(const std::string& site, const std::string& source) const;
  std::size_t source_connections(const std::string& source) const;
  std::size_t idle_connections() const { return idle_.size(); }
  std::size_t waiting() const { return waiters_.size(); }

 private:
  friend class ConnectionSlot;
  struct Waiter {
    ConnectionRequest request;
    boost::asio::steady_timer* wakeup;
    std::optional<ConnectionGrant>* grant;
  };

  std::optional<ConnectionGrant> try_grant(const ConnectionRequest& request);
  bool site_full(const ConnectionRequest& request) const;
  std::unique_ptr<OpenConnection> take_idle(const ConnectionRequest& request);
  void slot_opened(const ConnectionSlot& slot);
  void slot_closed(const ConnectionSlot& slot);
  // Hands what became free to the waiters in arrival order; makes room when they are stuck.
  void serve_waiters();
  void make_room(const ConnectionRequest& blocked);
  // Closes an idle connection in the background; evicted: it was closed to make room.
  void retire(std::list<std::unique_ptr<OpenConnection>>::iterator idle, bool evicted);
  boost::asio::awaitable<void> close_in_background(std::unique_ptr<OpenConnection> connection,
                                                   bool evicted);
  boost::asio::awaitable<void> expire_when_idle(std::weak_ptr<void> alive,
                                                OpenConnection* connection, std::uint64_t ticket);

  Close close_;
  Observer observer_;
  std::size_t total_ = 0;
  std::map<std::string, std::size_t> per_destination_;
  std::map<std::string, std::size_t> per_label_;
  std::map<std::string, std::size_t> per_site_;
  std::map<std::pair<std::string, std::string>, std::size_t> per_site_source_;
  std::map<std::string, std::size_t> per_source_;
  std::list<std::unique_ptr<OpenConnection>> idle_;  // longest idle first
  std::list<Waiter> waiters_;
  std::size_t closing_ = 0;  // idle connections being closed to make room
  std::uint64_t next_ticket_ = 0;
  std::shared_ptr<void> alive_ = std::make_shared<int>(0);
};

}  // namespace mxrelay::mta
