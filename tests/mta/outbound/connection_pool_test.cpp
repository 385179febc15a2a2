// Tests of ConnectionPool without a network: slots under the total and per-destination
// limits, waiting in arrival order, reuse of parked connections by key, idle expiry, and
// eviction of another destination's idle connection when the total limit is reached, and a
// shaping site's limit shared by its destinations (and held per source address), and the
// cluster lease a slot keeps.
#include "mta/outbound/connection_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

ConnectionKey key(const std::string& destination, std::uint8_t last_octet) {
  return {destination, core::IpAddress::v4({127, 0, 0, last_octet}), 25, TlsPolicy::none,
          "relay.example"};
}

ConnectionRequest request(const std::string& destination, std::size_t per_destination,
                          std::size_t total, std::vector<ConnectionKey> keys = {}) {
  return {destination, "mx", per_destination, total, std::move(keys)};
}

struct Harness {
  asio::io_context io;
  std::vector<std::string> closed;  // destinations of connections closed by the pool
  std::vector<std::pair<std::string, std::size_t>> observed;
  ConnectionPool pool{[this](OpenConnection& open) -> asio::awaitable<void> {
    closed.push_back(open.key.destination);
    co_return;
  }};
  std::vector<std::unique_ptr<ConnectionGrant>> grants;  // in the order they were given

  Harness() {
    pool.set_observer(
        [this](const std::string& label, std::size_t n) { observed.emplace_back(label, n); });
  }

  void acquire(ConnectionRequest wanted) {
    asio::co_spawn(io, pool.acquire(std::move(wanted)),
                   [this](std::exception_ptr error, ConnectionGrant grant) {
                     if (error) std::rethrow_exception(error);
                     grants.push_back(std::make_unique<ConnectionGrant>(std::move(grant)));
                   });
  }
  void settle() {
    io.restart();
    io.poll();
  }
  std::unique_ptr<OpenConnection> connection_from(std::size_t grant, ConnectionKey key) {
    return std::make_unique<OpenConnection>(std::move(std::get<ConnectionSlot>(*grants[grant])),
                                            std::move(key), io.get_executor(),
                                            ClientSessionContext{});
  }
};

TEST(ConnectionPool, GrantsSlotsUpToThePerDestinationLimitThenWaits) {
  Harness h;
  for (int i = 0; i < 3; ++i) h.acquire(request("a.example", 2, 10));
  h.settle();
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_EQ(h.pool.open_connections("a.example"), 2u);
  EXPECT_EQ(h.pool.waiting(), 1u);
  h.grants.front().reset();  // a connection ended: its slot goes to the waiter
  h.settle();
  ASSERT_EQ(h.grants.size(), 3u);
  EXPECT_EQ(h.pool.open_connections("a.example"), 2u);
  EXPECT_EQ(h.pool.waiting(), 0u);
}

TEST(ConnectionPool, ASlotKeepsTheClusterLeaseOfItsConnectionUntilItGoes) {
  Harness h;
  h.acquire(request("a.example", 2, 10));
  h.settle();
  ASSERT_EQ(h.grants.size(), 1u);
  auto lease = std::make_shared<int>(7);
  const std::weak_ptr<int> watched = lease;
  auto& slot = std::get<ConnectionSlot>(*h.grants.front());
  EXPECT_FALSE(slot.holds_lease());
  slot.hold(std::move(lease));
  EXPECT_TRUE(slot.holds_lease());
  // The lease moves with the slot into the connection, and back out of it.
  auto open = h.connection_from(0, key("a.example", 1));
  EXPECT_TRUE(open->slot.holds_lease());
  ConnectionSlot back = std::move(open->slot);
  EXPECT_TRUE(back.holds_lease());
  EXPECT_FALSE(watched.expired());
  open.reset();
  EXPECT_FALSE(watched.expired());
  back = ConnectionSlot();
  EXPECT_TRUE(watched.expired());
  EXPECT_EQ(h.pool.open_connections("a.example"), 0u);
}

TEST(ConnectionPool, TotalLimitSpansDestinationsAndServesInArrivalOrder) {
  Harness h;
  h.acquire(request("a.example", 5, 1));
  h.settle();
  h.acquire(request("b.example", 5, 1));
  h.acquire(request("c.example", 5, 1));
  h.settle();
  ASSERT_EQ(h.grants.size(), 1u);
  h.grants.front().reset();
  h.settle();
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_EQ(std::get<ConnectionSlot>(*h.grants[1]).destination(), "b.example");
  EXPECT_EQ(h.pool.waiting(), 1u);
}

TEST(ConnectionPool, ParkedConnectionIsReusedByAnyOfTheWantedKeysAndKeepsItsSlot) {
  Harness h;
  h.acquire(request("a.example", 1, 10));
  h.settle();
  h.pool.park(h.connection_from(0, key("a.example", 5)), 60s);
  EXPECT_EQ(h.pool.idle_connections(), 1u);
  h.acquire(request("a.example", 1, 10, {key("a.example", 6), key("a.example", 5)}));
  h.settle();
  ASSERT_EQ(h.grants.size(), 2u);
  auto* reused = std::get_if<std::unique_ptr<OpenConnection>>(h.grants[1].get());
  ASSERT_NE(reused, nullptr);
  EXPECT_EQ((*reused)->key, key("a.example", 5));
  EXPECT_EQ(h.pool.open_connections("a.example"), 1u);
  EXPECT_TRUE(h.closed.empty());
}

TEST(ConnectionPool, IdleConnectionToAnUnwantedAddressMakesRoomAtTheDestinationLimit) {
  Harness h;
  h.acquire(request("a.example", 1, 10));
  h.settle();
  h.pool.park(h.connection_from(0, key("a.example", 5)), 60s);
  h.acquire(request("a.example", 1, 10, {key("a.example", 6)}));
  h.settle();
  EXPECT_EQ(h.closed, std::vector<std::string>{"a.example"});
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ConnectionSlot>(*h.grants[1]));
  EXPECT_EQ(h.pool.open_connections("a.example"), 1u);
}

TEST(ConnectionPool, IdleConnectionIsClosedAfterItsIdleTime) {
  Harness h;
  h.acquire(request("a.example", 1, 10));
  h.settle();
  h.pool.park(h.connection_from(0, key("a.example", 5)), 10ms);
  h.io.restart();
  h.io.run_for(1s);  // returns once the expiry closed it: nothing else is pending
  EXPECT_EQ(h.closed, std::vector<std::string>{"a.example"});
  EXPECT_EQ(h.pool.open_connections(), 0u);
  EXPECT_EQ(h.pool.idle_connections(), 0u);
}

TEST(ConnectionPool, FullTotalEvictsAnotherDestinationsIdleConnection) {
  Harness h;
  h.acquire(request("a.example", 5, 1));
  h.settle();
  h.pool.park(h.connection_from(0, key("a.example", 5)), 60s);
  h.acquire(request("b.example", 5, 1, {key("b.example", 7)}));
  h.settle();
  EXPECT_EQ(h.closed, std::vector<std::string>{"a.example"});
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_EQ(std::get<ConnectionSlot>(*h.grants[1]).destination(), "b.example");
  EXPECT_EQ(h.pool.open_connections(), 1u);
}

ConnectionRequest site_request(const std::string& destination, std::size_t site_limit,
                               std::vector<ConnectionKey> keys = {}) {
  auto out = request(destination, 10, 100, std::move(keys));
  out.site = "microsoft";
  out.site_limit = site_limit;
  return out;
}

TEST(ConnectionPool, ASiteLimitSpansItsDestinations) {
  Harness h;
  h.acquire(site_request("outlook.com", 2));
  h.acquire(site_request("hotmail.com", 2));
  h.acquire(site_request("live.com", 2));
  h.acquire(request("other.example", 10, 100));  // no site: not held back
  h.settle();
  ASSERT_EQ(h.grants.size(), 3u);
  EXPECT_EQ(h.pool.site_connections("microsoft"), 2u);
  EXPECT_EQ(std::get<ConnectionSlot>(*h.grants[2]).destination(), "other.example");
  EXPECT_EQ(h.pool.waiting(), 1u);
  h.grants.front().reset();
  h.settle();
  ASSERT_EQ(h.grants.size(), 4u);
  EXPECT_EQ(std::get<ConnectionSlot>(*h.grants[3]).destination(), "live.com");
  EXPECT_EQ(h.pool.site_connections("microsoft"), 2u);
}

TEST(ConnectionPool, AnIdleConnectionOfTheSiteCountsAndMakesRoomForAnotherDestination) {
  Harness h;
  h.acquire(site_request("outlook.com", 1));
  h.settle();
  h.pool.park(h.connection_from(0, key("outlook.com", 5)), 60s);
  EXPECT_EQ(h.pool.site_connections("microsoft"), 1u);
  h.acquire(site_request("hotmail.com", 1, {key("hotmail.com", 6)}));
  h.settle();
  EXPECT_EQ(h.closed, std::vector<std::string>{"outlook.com"});
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_EQ(std::get<ConnectionSlot>(*h.grants[1]).destination(), "hotmail.com");
  EXPECT_EQ(h.pool.site_connections("microsoft"), 1u);
}

ConnectionRequest source_request(const std::string& source, std::vector<ConnectionKey> keys = {}) {
  auto out = site_request("outlook.com", 1, std::move(keys));
  out.source = source;
  return out;
}

ConnectionKey source_key(const std::string& source) {
  auto out = key("outlook.com", 5);
  out.source = source;
  return out;
}

TEST(ConnectionPool, ASiteLimitHoldsPerSourceAddress) {
  Harness h;
  h.acquire(source_request("127.0.0.5"));
  h.acquire(source_request("127.0.0.5"));
  h.acquire(source_request("127.0.0.6"));
  h.settle();
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_EQ(h.pool.waiting(), 1u);
  EXPECT_EQ(h.pool.site_connections("microsoft"), 2u);
  EXPECT_EQ(h.pool.site_connections("microsoft", "127.0.0.5"), 1u);
  EXPECT_EQ(h.pool.site_connections("microsoft", "127.0.0.6"), 1u);
  h.grants.back().reset();  // 127.0.0.6's: no room for the waiting 127.0.0.5 request
  h.settle();
  EXPECT_EQ(h.grants.size(), 2u);
  h.grants.front().reset();
  h.settle();
  ASSERT_EQ(h.grants.size(), 3u);
  EXPECT_EQ(h.pool.site_connections("microsoft", "127.0.0.5"), 1u);
}

TEST(ConnectionPool, AnIdleConnectionIsReusedOnlyFromItsOwnSourceAddress) {
  Harness h;
  h.acquire(source_request("127.0.0.5"));
  h.settle();
  h.pool.park(h.connection_from(0, source_key("127.0.0.5")), 60s);
  h.acquire(source_request("127.0.0.6", {source_key("127.0.0.6")}));
  h.settle();
  ASSERT_EQ(h.grants.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<ConnectionSlot>(*h.grants[1]));
  EXPECT_EQ(h.pool.idle_connections(), 1u);  // 127.0.0.5's share is not 127.0.0.6's
  h.acquire(source_request("127.0.0.5", {source_key("127.0.0.5")}));
  h.settle();
  ASSERT_EQ(h.grants.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<std::unique_ptr<OpenConnection>>(*h.grants[2]));
  EXPECT_EQ(h.pool.idle_connections(), 0u);
}

TEST(ConnectionPool, ReportsConnectionsPerLabel) {
  Harness h;
  h.acquire(request("a.example", 5, 5));
  h.acquire(request("b.example", 5, 5));
  h.settle();
  h.grants.clear();
  const std::vector<std::pair<std::string, std::size_t>> expected = {
      {"mx", 1}, {"mx", 2}, {"mx", 1}, {"mx", 0}};
  EXPECT_EQ(h.observed, expected);
}

}  // namespace
}  // namespace mxrelay::mta
