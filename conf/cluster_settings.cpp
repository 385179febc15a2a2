// conf: read_cluster, the [cluster] section.
#include "cluster_settings.hpp"

#include <algorithm>

#include "config_values.hpp"
#include "duration.hpp"
#include "transport_host.hpp"

namespace mxrelay::conf {

namespace {

constexpr unsigned kMostNodes = 64;
constexpr std::size_t kLongestKeyPrefix = 64;
constexpr std::chrono::milliseconds kLongestTimeout = std::chrono::seconds(10);

void read_redis(const TomlSection& cluster, ClusterConfig& out) {
  auto item = cluster.string("redis");
  if (!item) return;
  if (item->value.empty()) {
    out.redis.clear();
    out.redis_host.clear();
    out.redis_port = 0;
    return;
  }
  auto host = parse_transport_host(item->value);
  if (!host || !host->port) {
    cluster.report(item->node->source(), "redis",
                   "invalid Redis address " + quoted_value(item->value) +
                       " (use host:port or [IPv6]:port, or \"\" for no cluster)");
    return;
  }
  out.redis = item->value;
  out.redis_host = host->name;
  out.redis_port = *host->port;
}

// Printable ASCII without spaces: the prefix stays one word in logs and redis-cli.
bool is_key_prefix(std::string_view text) {
  return !text.empty() && text.size() <= kLongestKeyPrefix &&
         std::ranges::all_of(text, [](char c) { return c > ' ' && c < 0x7f; });
}

void read_key_prefix(const TomlSection& cluster, ClusterConfig& out) {
  auto item = cluster.string("key_prefix");
  if (!item) return;
  if (is_key_prefix(item->value))
    out.key_prefix = item->value;
  else
    cluster.report(item->node->source(), "key_prefix",
                   "invalid key prefix " + quoted_value(item->value) + " (use 1 to " +
                       std::to_string(kLongestKeyPrefix) +
                       " printable ASCII characters without spaces)");
}

void read_timeout(const TomlSection& cluster, ClusterConfig& out) {
  auto item = cluster.string("timeout");
  if (!item) return;
  const auto& where = item->node->source();
  auto timeout = parse_duration_ms(item->value);
  if (!timeout)
    cluster.report(where, "timeout",
                   "invalid duration " + quoted_value(item->value) +
                       " (use a number and one of ms, s, m, h, d)");
  else if (*timeout <= std::chrono::milliseconds::zero())
    cluster.report(where, "timeout", "duration must be greater than zero");
  else if (*timeout > kLongestTimeout)
    cluster.report(where, "timeout",
                   "duration " + quoted_value(item->value) + " is too long (at most 10s)");
  else
    out.timeout = *timeout;
}

}  // namespace

void read_cluster(const TomlSection& cluster, ClusterConfig& out) {
  cluster.reject_unknown_keys({"redis", "expected_nodes", "key_prefix", "timeout"});
  read_redis(cluster, out);
  read_integer<unsigned>(cluster, "expected_nodes", 1, kMostNodes, out.expected_nodes);
  read_key_prefix(cluster, out);
  read_timeout(cluster, out);
}

}  // namespace mxrelay::conf
