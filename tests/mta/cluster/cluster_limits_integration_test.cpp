// tests/mta/cluster: ClusterLimits against a real redis-server on loopback, two relays ("a"
// and "b") in one io_context: leases under a shared limit, held leases given back when their
// handle goes, leases that expire unless renewed, the shared rate bucket, suspensions seen by
// the other relay's poll, circuit-breaker holds one relay publishes and the other's poll finds
// until they expire or are cleared, the shares' connections and suspension across the cluster,
// and the fallback to each relay's share while Redis is stopped or too
// slow, then back when it returns.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <cstdio>
#include <future>
#include <string>
#include <vector>

#include "mta/cluster/cluster_limits.hpp"
#include "tests/mta/outbound/peer_process.hpp"

namespace mxrelay::mta {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// redis-server on 127.0.0.1:port without persistence; ready once it says so on stdout.
class RedisServer {
 public:
  explicit RedisServer(std::uint16_t port) : port_(port) { start(); }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  void start() {
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::vector<std::string> argv{
        MXRELAY_REDIS_SERVER, "--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "",
        "--appendonly",       "no"};
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    const int spawned = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    ASSERT_EQ(spawned, 0) << "cannot start " << MXRELAY_REDIS_SERVER;
    output_ = fdopen(out[0], "r");
    char line[1024];
    while (fgets(line, sizeof line, output_))
      if (std::string(line).find("Ready to accept connections") != std::string::npos) return;
    FAIL() << "redis-server exited before it was ready";
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGCONT);
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
    if (output_) fclose(output_);
    output_ = nullptr;
  }
  void pause() { kill(pid_, SIGSTOP); }
  void resume() { kill(pid_, SIGCONT); }

 private:
  std::uint16_t port_;
  pid_t pid_ = 0;
  FILE* output_ = nullptr;  // kept open: redis-server writes its log there
};

class ClusterLimitsTest : public ::testing::Test {
 protected:
  ClusterLimitsTest() : port_(testing::free_port("127.0.0.1")), redis_(port_) {}

  ~ClusterLimitsTest() override {
    for (auto& limits : limits_) limits->stop();
    io_.run_for(5s);
  }

  std::shared_ptr<ClusterLimits> relay(const std::string& node,
                                       std::chrono::milliseconds lifetime = 15s,
                                       std::chrono::milliseconds renew = 5s) {
    ClusterOptions options;
    options.config.redis = "127.0.0.1:" + std::to_string(port_);
    options.config.redis_host = "127.0.0.1";
    options.config.redis_port = port_;
    options.config.expected_nodes = 2;
    options.config.key_prefix = "test:";
    options.config.timeout = 200ms;
    options.node = node;
    options.lease_lifetime = lifetime;
    options.renew_interval = renew;
    auto limits = ClusterLimits::create(io_.get_executor(), options, [this, node](bool up) {
      changes_.push_back(node + (up ? " up" : " down"));
    });
    limits->start();
    limits_.push_back(limits);
    EXPECT_TRUE(wait_until([&] { return limits->available(); }, 5s)) << node << " never came up";
    return limits;
  }

  // One command straight to Redis (to look at its keys).
  RedisReply redis_command(std::vector<std::string> args) {
    auto connection =
        RedisConnection::create(io_.get_executor(), RedisEndpoint{"127.0.0.1", port_, 1s}, {});
    connection->start();
    EXPECT_TRUE(wait_until([&] { return connection->up(); }, 5s));
    auto reply = run(connection->command(std::move(args), Clock::now() + 1s));
    connection->stop();
    EXPECT_TRUE(reply) << reply.error();
    return reply ? *reply : RedisReply{};
  }

  // Runs the loop until `work` is done.
  template <typename T>
  T run(asio::awaitable<T> work) {
    auto done = asio::co_spawn(io_, std::move(work), asio::use_future);
    while (done.wait_for(0s) != std::future_status::ready) io_.run_one_for(100ms);
    return done.get();
  }

  // Runs the loop until `condition` holds, at most `limit`.
  template <typename Condition>
  bool wait_until(Condition condition, Clock::duration limit) {
    const auto end = Clock::now() + limit;
    while (!condition() && Clock::now() < end) io_.run_one_for(10ms);
    return condition();
  }

  // Runs the loop for `duration` (time itself is what the test waits for).
  void pass(Clock::duration duration) {
    run([](asio::io_context& io, Clock::duration wait) -> asio::awaitable<void> {
      asio::steady_timer timer(io, wait);
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }(io_, duration));
  }

  asio::io_context io_{1};
  std::uint16_t port_;
  RedisServer redis_;
  std::vector<std::shared_ptr<ClusterLimits>> limits_;
  std::vector<std::string> changes_;
};

TEST_F(ClusterLimitsTest, LeasesRespectTheLimitAcrossTwoRelays) {
  auto a = relay("a");
  auto b = relay("b");
  auto a1 = run(a->acquire_connection("microsoft", 3));
  auto a2 = run(a->acquire_connection("microsoft", 3));
  auto b1 = run(b->acquire_connection("microsoft", 3));
  ASSERT_TRUE(a1 && a2 && b1);
  EXPECT_TRUE(a1->shared && a2->shared && b1->shared);
  EXPECT_NE(a1->member, a2->member);
  EXPECT_FALSE(run(b->acquire_connection("microsoft", 3)));
  EXPECT_FALSE(run(a->acquire_connection("microsoft", 3)));
  // Another site has its own count; no limit needs no lease in Redis.
  EXPECT_TRUE(run(b->acquire_connection("google", 1)));
  auto unlimited = run(b->acquire_connection("other", 0));
  ASSERT_TRUE(unlimited);
  EXPECT_FALSE(unlimited->shared);
  run(a->release_connection(*a1));
  EXPECT_EQ(a->leases("microsoft"), 1u);
  auto b2 = run(b->acquire_connection("microsoft", 3));
  ASSERT_TRUE(b2);
  EXPECT_TRUE(b2->shared);
  EXPECT_EQ(b->leases("microsoft"), 2u);
  EXPECT_FALSE(run(a->acquire_connection("microsoft", 3)));
}

TEST_F(ClusterLimitsTest, AHeldLeaseIsGivenBackWhenItsLastCopyGoes) {
  auto a = relay("a");
  auto b = relay("b");
  auto held = run(a->hold_connection("microsoft", 1));
  ASSERT_TRUE(held && *held);
  EXPECT_TRUE((*held)->shared);
  auto copy = *held;
  EXPECT_FALSE(run(b->hold_connection("microsoft", 1)));
  held.reset();
  EXPECT_EQ(a->leases("microsoft"), 1u);
  copy.reset();
  // The release runs in the background: counted out here first, then in Redis, and b gets the
  // lease once it has gone there.
  EXPECT_TRUE(wait_until([&] { return a->leases("microsoft") == 0; }, 1s));
  std::optional<HeldLease> taken;
  for (int i = 0; i < 50 && !taken; ++i) taken = run(b->hold_connection("microsoft", 1));
  ASSERT_TRUE(taken);
  EXPECT_EQ((*taken)->member.substr(0, 2), "b:");
}

TEST_F(ClusterLimitsTest, LeasesExpireUnlessRenewed) {
  auto crashed = relay("crashed", 300ms, 1h);
  auto alive = relay("alive", 300ms, 100ms);
  auto b = relay("b");
  ASSERT_TRUE(run(crashed->acquire_connection("microsoft", 2)));
  ASSERT_TRUE(run(alive->acquire_connection("microsoft", 2)));
  EXPECT_FALSE(run(b->acquire_connection("microsoft", 2)));
  pass(700ms);
  // The lease never renewed expired; the renewed one is still held.
  auto taken = run(b->acquire_connection("microsoft", 2));
  ASSERT_TRUE(taken);
  EXPECT_TRUE(taken->shared);
  EXPECT_FALSE(run(b->acquire_connection("microsoft", 2)));
}

TEST_F(ClusterLimitsTest, TheSharedRateBucketSpacesReservations) {
  auto a = relay("a");
  auto b = relay("b");
  // 60 a minute: a burst of 6, then one a second, whichever relay asks.
  for (int i = 0; i < 6; ++i) EXPECT_EQ(run(a->rate_delay("google", 60)), Clock::duration::zero());
  const auto seventh = run(b->rate_delay("google", 60));
  const auto eighth = run(a->rate_delay("google", 60));
  EXPECT_GT(seventh, 900ms);
  EXPECT_LE(seventh, 1000ms);
  EXPECT_GT(eighth, 1900ms);
  EXPECT_LE(eighth, 2000ms);
  EXPECT_EQ(run(b->rate_delay("yahoo", 60)), Clock::duration::zero());
  EXPECT_EQ(run(b->rate_delay("google", 0)), Clock::duration::zero());
}

TEST_F(ClusterLimitsTest, ASuspensionPublishedByOneRelayIsSeenByTheOthersPoll) {
  auto a = relay("a");
  auto b = relay("b");
  const auto until = Clock::now() + 10min;
  run(a->publish_suspension("microsoft", until,
                            "451 4.7.650 The mail server has been rate limited"));
  const auto seen = run(b->poll_suspensions({"google", "microsoft", "yahoo"}));
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].site, "microsoft");
  EXPECT_EQ(seen[0].node, "a");
  EXPECT_EQ(seen[0].reply, "451 4.7.650 The mail server has been rate limited");
  EXPECT_LT(seen[0].until - until, 50ms);
  EXPECT_LT(until - seen[0].until, 50ms);
  // Polled again, the same suspension is no news; a longer one is.
  EXPECT_TRUE(run(b->poll_suspensions({"google", "microsoft", "yahoo"})).empty());
  run(a->publish_suspension("microsoft", until + 5min, "451 4.7.650 again"));
  const auto longer = run(b->poll_suspensions({"microsoft"}));
  ASSERT_EQ(longer.size(), 1u);
  EXPECT_EQ(longer[0].reply, "451 4.7.650 again");
  // Its own suspension is not news to the relay that published it.
  EXPECT_TRUE(run(a->poll_suspensions({"google", "microsoft", "yahoo"})).empty());
  // A suspension that ended is gone.
  run(b->publish_suspension("yahoo", Clock::now() + 100ms, "421 4.7.0 [TSS04]"));
  ASSERT_EQ(run(a->poll_suspensions({"yahoo"})).size(), 1u);
  pass(200ms);
  EXPECT_TRUE(run(a->poll_suspensions({"yahoo"})).empty());
}

TEST_F(ClusterLimitsTest, AHealthHoldOneRelayPublishesIsSeenUntilItEndsOrIsCleared) {
  auto a = relay("a");
  auto b = relay("b");
  const auto none = run(b->poll_health_holds());
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
  const auto published = Clock::now();
  run(a->publish_health_hold("MX.Example", "127.0.0.9", 10min, "421 4.3.2 busy"));
  run(a->publish_health_hold("mx.example", "127.0.0.10", 300ms, "refused"));
  auto seen = run(b->poll_health_holds());
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->size(), 2u);
  const auto& long_hold = (*seen)[0].address == "127.0.0.9" ? (*seen)[0] : (*seen)[1];
  EXPECT_EQ(long_hold.destination, "mx.example");
  EXPECT_EQ(long_hold.node, "a");
  EXPECT_EQ(long_hold.reason, "421 4.3.2 busy");
  EXPECT_LT(long_hold.until - (published + 10min), 50ms);
  EXPECT_LT((published + 10min) - long_hold.until, 200ms);
  // Its own holds are not the others': the relay that published them does not learn them.
  EXPECT_EQ(run(a->poll_health_holds())->size(), 0u);
  // The short one expires.
  pass(400ms);
  seen = run(b->poll_health_holds());
  ASSERT_TRUE(seen);
  ASSERT_EQ(seen->size(), 1u);
  EXPECT_EQ((*seen)[0].address, "127.0.0.9");
  // A success elsewhere clears it for every relay.
  run(b->clear_health_hold("mx.example", "127.0.0.9"));
  EXPECT_EQ(run(b->poll_health_holds())->size(), 0u);
  // Publishing drops the holds that ended (the hash stays bounded), and the hash expires.
  run(b->publish_health_hold("mx.example", "127.0.0.11", 200ms, "refused"));
  pass(300ms);
  run(b->publish_health_hold("mx.example", "127.0.0.12", 200ms, "refused"));
  EXPECT_EQ(redis_command({"HLEN", "test:health"}).integer, 1);
  pass(300ms);
  EXPECT_EQ(redis_command({"EXISTS", "test:health"}).integer, 0);
}

TEST_F(ClusterLimitsTest, ShareStatesCountEveryRelaysLeasesAndNameTheSuspension) {
  auto a = relay("a");
  auto b = relay("b");
  ASSERT_TRUE(run(a->acquire_connection("peer", 5)));
  ASSERT_TRUE(run(a->acquire_connection("peer", 5)));
  ASSERT_TRUE(run(b->acquire_connection("peer", 5)));
  ASSERT_TRUE(run(b->acquire_connection("peer@127.0.0.2", 5)));
  run(a->publish_suspension("peer@127.0.0.2", Clock::now() + 1min, "451 4.7.650 slow"));
  const auto states = run(b->share_states({"peer", "peer@127.0.0.2", "other"}));
  ASSERT_TRUE(states);
  ASSERT_EQ(states->size(), 3u);
  EXPECT_EQ((*states)[0].share, "peer");
  EXPECT_EQ((*states)[0].connections, 3u);
  EXPECT_FALSE((*states)[0].suspension);
  EXPECT_EQ((*states)[1].connections, 1u);
  ASSERT_TRUE((*states)[1].suspension);
  EXPECT_EQ((*states)[1].suspension->node, "a");
  EXPECT_EQ((*states)[1].suspension->reply, "451 4.7.650 slow");
  EXPECT_EQ((*states)[2].connections, 0u);
  redis_.stop();
  EXPECT_TRUE(wait_until([&] { return !b->available(); }, 1s));
  EXPECT_FALSE(run(b->share_states({"peer"})));
  EXPECT_FALSE(run(b->poll_health_holds()));
}

TEST_F(ClusterLimitsTest, WithRedisStoppedEachRelayKeepsToItsShareThenSharesAgain) {
  auto a = relay("a");
  ASSERT_TRUE(run(a->acquire_connection("microsoft", 5)));
  redis_.stop();
  EXPECT_TRUE(wait_until([&] { return !a->available(); }, 1s));
  EXPECT_EQ(changes_, (std::vector<std::string>{"a up", "a down"}));
  // ceil(5 / 2) = 3 connections here, the shared lease held counted among them.
  const auto started = Clock::now();
  auto second = run(a->acquire_connection("microsoft", 5));
  EXPECT_LT(Clock::now() - started, 200ms);
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->shared);
  EXPECT_TRUE(run(a->acquire_connection("microsoft", 5)));
  EXPECT_FALSE(run(a->acquire_connection("microsoft", 5)));
  // 60 a minute shared is 30 here: a burst of 3, then one every 2 s.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(a->rate_delay("google", 60)), Clock::duration::zero());
  const auto fourth = run(a->rate_delay("google", 60));
  EXPECT_GT(fourth, 1900ms);
  EXPECT_LE(fourth, 2000ms);
  EXPECT_TRUE(run(a->poll_suspensions({"microsoft"})).empty());
  run(a->release_connection(*second));
  EXPECT_EQ(a->leases("microsoft"), 2u);

  redis_.start();
  EXPECT_TRUE(wait_until([&] { return a->available(); }, 10s));
  EXPECT_EQ(changes_, (std::vector<std::string>{"a up", "a down", "a up"}));
  // The restarted Redis knows no scripts: they are loaded again.
  auto shared = run(a->acquire_connection("microsoft", 5));
  ASSERT_TRUE(shared);
  EXPECT_TRUE(shared->shared);
  EXPECT_EQ(run(a->rate_delay("google", 60)), Clock::duration::zero());
}

TEST_F(ClusterLimitsTest, ARedisSlowerThanTheTimeoutCountsAsUnreachable) {
  auto a = relay("a");
  redis_.pause();
  const auto started = Clock::now();
  auto lease = run(a->acquire_connection("microsoft", 4));
  const auto took = Clock::now() - started;
  EXPECT_GE(took, 190ms);
  EXPECT_LT(took, 400ms);
  ASSERT_TRUE(lease);
  EXPECT_FALSE(lease->shared);
  EXPECT_FALSE(a->available());
  // Unavailable now: the next calls do not wait at all.
  const auto again = Clock::now();
  EXPECT_TRUE(run(a->acquire_connection("microsoft", 4)));
  EXPECT_FALSE(run(a->acquire_connection("microsoft", 4)));
  EXPECT_LT(Clock::now() - again, 50ms);
  redis_.resume();
  EXPECT_TRUE(wait_until([&] { return a->available(); }, 10s));
  EXPECT_EQ(changes_, (std::vector<std::string>{"a up", "a down", "a up"}));
}

}  // namespace
}  // namespace mxrelay::mta
