// tests/conf: the [cluster] section: the values that load (as rows), the reference config's
// keys, and every refusal with its position.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

using std::chrono::milliseconds;

// The cluster settings as text.
std::string describe(const ClusterConfig& cluster) {
  return "redis=" + cluster.redis + " host=" + cluster.redis_host +
         " port=" + std::to_string(cluster.redis_port) +
         " nodes=" + std::to_string(cluster.expected_nodes) + " prefix=" + cluster.key_prefix +
         " timeout=" + std::to_string(cluster.timeout.count()) + "ms";
}

TEST(ClusterConfig, ValuesLoad) {
  struct Row {
    const char* toml;
    const char* expected;
  } rows[] = {
      {"", "redis= host= port=0 nodes=2 prefix=mxrelay: timeout=200ms"},
      {"[cluster]\nredis = \"127.0.0.1:6379\"\n",
       "redis=127.0.0.1:6379 host=127.0.0.1 port=6379 nodes=2 prefix=mxrelay: timeout=200ms"},
      {"[cluster]\nredis = \"[::1]:7000\"\n",
       "redis=[::1]:7000 host=::1 port=7000 nodes=2 prefix=mxrelay: timeout=200ms"},
      {"[cluster]\nredis = \"Redis.Example.:6380\"\n",
       "redis=Redis.Example.:6380 host=redis.example port=6380 nodes=2 prefix=mxrelay: "
       "timeout=200ms"},
      {"[cluster]\nredis = \"\"\nexpected_nodes = 1\n",
       "redis= host= port=0 nodes=1 prefix=mxrelay: timeout=200ms"},
      {"[cluster]\nexpected_nodes = 64\nkey_prefix = \"relays{eu}:\"\ntimeout = \"2s\"\n",
       "redis= host= port=0 nodes=64 prefix=relays{eu}: timeout=2000ms"},
      {"[cluster]\ntimeout = \"1ms\"\n", "redis= host= port=0 nodes=2 prefix=mxrelay: timeout=1ms"},
      {"[cluster]\ntimeout = \"10000ms\"\n",
       "redis= host= port=0 nodes=2 prefix=mxrelay: timeout=10000ms"},
  };
  for (const auto& row : rows) {
    auto config = parse_config(row.toml, "t.toml");
    ASSERT_TRUE(config) << row.toml << ": " << config.error().front().str();
    EXPECT_EQ(describe(config->cluster), row.expected) << row.toml;
  }
}

TEST(ClusterConfig, EnabledWithAnAddress) {
  auto config = parse_config("[cluster]\nredis = \"127.0.0.1:6379\"\n", "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_TRUE(config->cluster.enabled());
}

TEST(ClusterConfig, TheReferenceConfigWritesOutTheDefaults) {
  auto config = load_config(MXRELAY_REFERENCE_CONFIG);
  ASSERT_TRUE(config) << config.error().front().str();
  EXPECT_EQ(describe(config->cluster), describe(ClusterConfig{}));
}

TEST(ClusterConfig, Errors) {
  check({
      {"unknown key", "[cluster]\nnodes = 2\n", {"t.toml:2:1: cluster.nodes: unknown key"}},
      {"address without a port",
       "[cluster]\nredis = \"127.0.0.1\"\n",
       {"t.toml:2:9: cluster.redis: invalid Redis address \"127.0.0.1\" (use host:port or "
        "[IPv6]:port, or \"\" for no cluster)"}},
      {"IPv6 without brackets",
       "[cluster]\nredis = \"::1:6379\"\n",
       {"t.toml:2:9: cluster.redis: invalid Redis address \"::1:6379\" (use host:port or "
        "[IPv6]:port, or \"\" for no cluster)"}},
      {"port out of range",
       "[cluster]\nredis = \"127.0.0.1:65536\"\n",
       {"t.toml:2:9: cluster.redis: invalid Redis address \"127.0.0.1:65536\" (use host:port or "
        "[IPv6]:port, or \"\" for no cluster)"}},
      {"address of the wrong type",
       "[cluster]\nredis = 6379\n",
       {"t.toml:2:9: cluster.redis: expected a string, got an integer"}},
      {"no nodes",
       "[cluster]\nexpected_nodes = 0\n",
       {"t.toml:2:18: cluster.expected_nodes: 0 is out of range (1..64)"}},
      {"too many nodes",
       "[cluster]\nexpected_nodes = 65\n",
       {"t.toml:2:18: cluster.expected_nodes: 65 is out of range (1..64)"}},
      {"empty key prefix",
       "[cluster]\nkey_prefix = \"\"\n",
       {"t.toml:2:14: cluster.key_prefix: invalid key prefix \"\" (use 1 to 64 printable ASCII "
        "characters without spaces)"}},
      {"key prefix with a space",
       "[cluster]\nkey_prefix = \"mx relay\"\n",
       {"t.toml:2:14: cluster.key_prefix: invalid key prefix \"mx relay\" (use 1 to 64 "
        "printable ASCII characters without spaces)"}},
      {"timeout without a unit",
       "[cluster]\ntimeout = \"200\"\n",
       {"t.toml:2:11: cluster.timeout: invalid duration \"200\" (use a number and one of ms, s, "
        "m, h, d)"}},
      {"zero timeout",
       "[cluster]\ntimeout = \"0ms\"\n",
       {"t.toml:2:11: cluster.timeout: duration must be greater than zero"}},
      {"timeout too long",
       "[cluster]\ntimeout = \"11s\"\n",
       {"t.toml:2:11: cluster.timeout: duration \"11s\" is too long (at most 10s)"}},
      {"several problems at once",
       "[cluster]\nredis = \"x\"\nexpected_nodes = 100\n",
       {"t.toml:2:9: cluster.redis: invalid Redis address \"x\" (use host:port or [IPv6]:port, "
        "or \"\" for no cluster)",
        "t.toml:3:18: cluster.expected_nodes: 100 is out of range (1..64)"}},
  });
}

}  // namespace
}  // namespace mxrelay::conf
