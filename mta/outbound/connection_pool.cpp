// mta/outbound: ConnectionPool and ConnectionSlot.
#include "mta/outbound/connection_pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace mxrelay::mta {

namespace asio = boost::asio;

ConnectionSlot::ConnectionSlot(ConnectionPool& pool, std::weak_ptr<void> pool_alive,
                               std::string destination, std::string label, std::string site,
                               std::string source)
    : pool_(&pool),
      pool_alive_(std::move(pool_alive)),
      destination_(std::move(destination)),
      label_(std::move(label)),
      site_(std::move(site)),
      source_(std::move(source)) {
  pool_->slot_opened(*this);
}

ConnectionSlot::ConnectionSlot(ConnectionSlot&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      pool_alive_(std::move(other.pool_alive_)),
      destination_(std::move(other.destination_)),
      label_(std::move(other.label_)),
      site_(std::move(other.site_)),
      source_(std::move(other.source_)),
      lease_(std::move(other.lease_)) {}

ConnectionSlot& ConnectionSlot::operator=(ConnectionSlot&& other) noexcept {
  if (this == &other) return *this;
  if (pool_ && !pool_alive_.expired()) pool_->slot_closed(*this);
  pool_ = std::exchange(other.pool_, nullptr);
  pool_alive_ = std::move(other.pool_alive_);
  destination_ = std::move(other.destination_);
  label_ = std::move(other.label_);
  site_ = std::move(other.site_);
  source_ = std::move(other.source_);
  lease_ = std::move(other.lease_);
  return *this;
}

ConnectionSlot::~ConnectionSlot() {
  if (pool_ && !pool_alive_.expired()) pool_->slot_closed(*this);
}

std::size_t ConnectionPool::open_connections(const std::string& destination) const {
  const auto found = per_destination_.find(destination);
  return found == per_destination_.end() ? 0 : found->second;
}

std::size_t ConnectionPool::site_connections(const std::string& site) const {
  const auto found = per_site_.find(site);
  return found == per_site_.end() ? 0 : found->second;
}

std::size_t ConnectionPool::site_connections(const std::string& site,
                                             const std::string& source) const {
  const auto found = per_site_source_.find({site, source});
  return found == per_site_source_.end() ? 0 : found->second;
}

std::size_t ConnectionPool::source_connections(const std::string& source) const {
  const auto found = per_source_.find(source);
  return found == per_source_.end() ? 0 : found->second;
}

asio::awaitable<ConnectionGrant> ConnectionPool::acquire(ConnectionRequest request) {
  auto granted = try_grant(request);
  if (granted) co_return std::move(*granted);
  std::weak_ptr<void> alive = alive_;
  asio::steady_timer wakeup(co_await asio::this_coro::executor,
                            asio::steady_timer::time_point::max());
  std::optional<ConnectionGrant> grant;
  // serve_waiters() removes the waiter when it hands over the grant.
  waiters_.push_back(Waiter{request, &wakeup, &grant});
  make_room(request);
  while (!grant) {
    co_await wakeup.async_wait(asio::as_tuple(asio::use_awaitable));
    if (alive.expired()) throw std::logic_error("connection pool destroyed while waited on");
  }
  co_return std::move(*grant);
}

std::optional<ConnectionGrant> ConnectionPool::try_grant(const ConnectionRequest& request) {
  if (auto idle = take_idle(request)) return ConnectionGrant(std::move(idle));
  if (total_ >= request.total_limit) return std::nullopt;
  if (open_connections(request.destination) >= request.destination_limit) return std::nullopt;
  if (site_full(request)) return std::nullopt;
  return ConnectionGrant(
      ConnectionSlot(*this, alive_, request.destination, request.label, request.site,
                     request.source));
}

std::unique_ptr<OpenConnection> ConnectionPool::take_idle(const ConnectionRequest& request) {
  for (const auto& key : request.keys) {
    // The most recently parked first: it is the least likely to have been closed remotely.
    for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
      if ((*it)->key != key) continue;
      auto connection = std::move(*it);
      idle_.erase(std::next(it).base());
      connection->parked_as = 0;
      connection->idle_timer.cancel();
      return connection;
    }
  }
  return nullptr;
}

void ConnectionPool::park(std::unique_ptr<OpenConnection> connection,
                          std::chrono::steady_clock::duration idle_time) {
  connection->parked_as = ++next_ticket_;
  connection->idle_timer.expires_after(idle_time);
  auto* parked = connection.get();
  idle_.push_back(std::move(connection));
  asio::co_spawn(parked->idle_timer.get_executor(),
                 expire_when_idle(alive_, parked, parked->parked_as), asio::detached);
  serve_waiters();
}

asio::awaitable<void> ConnectionPool::expire_when_idle(std::weak_ptr<void> alive,
                                                       OpenConnection* connection,
                                                       std::uint64_t ticket) {
  // The connection may be taken (and even destroyed) while this waits: it is looked up by its
  // ticket before it is touched again.
  co_await connection->idle_timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (alive.expired()) co_return;
  const auto found =
      std::ranges::find_if(idle_, [ticket](const auto& idle) { return idle->parked_as == ticket; });
  if (found == idle_.end()) co_return;
  if ((*found)->idle_timer.expiry() > asio::steady_timer::clock_type::now()) co_return;
  retire(found, false);
}

void ConnectionPool::close_idle() {
  while (!idle_.empty()) retire(idle_.begin(), false);
}

void ConnectionPool::retire(std::list<std::unique_ptr<OpenConnection>>::iterator idle,
                            bool evicted) {
  auto connection = std::move(*idle);
  idle_.erase(idle);
  connection->parked_as = 0;
  connection->idle_timer.cancel();
  if (evicted) ++closing_;
  auto executor = connection->idle_timer.get_executor();
  asio::co_spawn(executor, close_in_background(std::move(connection), evicted), asio::detached);
}

asio::awaitable<void> ConnectionPool::close_in_background(
    std::unique_ptr<OpenConnection> connection, bool evicted) {
  std::weak_ptr<void> alive = alive_;
  co_await close_(*connection);
  if (alive.expired()) co_return;
  if (evicted) --closing_;
  connection.reset();  // gives the slot back, which serves the waiters
}

bool ConnectionPool::site_full(const ConnectionRequest& request) const {
  return !request.site.empty() && request.site_limit > 0 &&
         site_connections(request.site, request.source) >= request.site_limit;
}

void ConnectionPool::slot_opened(const ConnectionSlot& slot) {
  ++total_;
  ++per_destination_[slot.destination()];
  if (!slot.site().empty()) {
    ++per_site_[slot.site()];
    ++per_site_source_[{slot.site(), slot.source()}];
  }
  ++per_source_[slot.source()];
  const auto count = ++per_label_[slot.label()];
  if (observer_) observer_(slot.label(), count);
}

void ConnectionPool::slot_closed(const ConnectionSlot& slot) {
  --total_;
  if (--per_destination_[slot.destination()] == 0) per_destination_.erase(slot.destination());
  if (!slot.site().empty()) {
    if (--per_site_[slot.site()] == 0) per_site_.erase(slot.site());
    const std::pair<std::string, std::string> share{slot.site(), slot.source()};
    if (--per_site_source_[share] == 0) per_site_source_.erase(share);
  }
  if (--per_source_[slot.source()] == 0) per_source_.erase(slot.source());
  const auto count = --per_label_[slot.label()];
  if (count == 0) per_label_.erase(slot.label());
  if (observer_) observer_(slot.label(), count);
  serve_waiters();
}

void ConnectionPool::serve_waiters() {
  for (auto waiter = waiters_.begin(); waiter != waiters_.end();) {
    auto granted = try_grant(waiter->request);
    if (!granted) {
      ++waiter;
      continue;
    }
    waiter->grant->emplace(std::move(*granted));
    waiter->wakeup->cancel();
    waiter = waiters_.erase(waiter);
  }
  for (const auto& waiter : waiters_) make_room(waiter.request);
}

void ConnectionPool::make_room(const ConnectionRequest& blocked) {
  // One eviction in flight per waiter at most.
  if (idle_.empty() || closing_ >= waiters_.size()) return;
  const bool destination_full = open_connections(blocked.destination) >= blocked.destination_limit;
  const bool site_full = this->site_full(blocked);
  const auto victim =
      destination_full ? std::ranges::find_if(idle_,
                                              [&](const auto& idle) {
                                                return idle->key.destination == blocked.destination;
                                              })
      : site_full      ? std::ranges::find_if(
                             idle_,
                             [&](const auto& idle) {
                               return idle->slot.site() == blocked.site &&
                                      idle->slot.source() == blocked.source;
                             })
                  : idle_.begin();
  if (victim == idle_.end()) return;
  retire(victim, true);
}

}  // namespace mxrelay::mta
