// tests/mta/cluster: the Redis key names, the suspension value both ways, the health hash's
// fields and the holds read from it, a suspension's end on the steady clock, the reconnection
// back-off, and error replies by code.
#include "mta/cluster/cluster_keys.hpp"

#include <gtest/gtest.h>

#include "mta/cluster/cluster_limits.hpp"
#include "mta/cluster/redis_connection.hpp"
#include "mta/cluster/redis_reply.hpp"

namespace mxrelay::mta {
namespace {

using std::chrono::milliseconds;

TEST(ClusterKeys, Names) {
  EXPECT_EQ(lease_key("mxrelay:", "microsoft"), "mxrelay:conns:microsoft");
  EXPECT_EQ(rate_key("mxrelay:", "google"), "mxrelay:rate:google");
  EXPECT_EQ(suspension_key("relays{eu}:", "yahoo"), "relays{eu}:suspend:yahoo");
}

TEST(ClusterKeys, HealthFields) {
  EXPECT_EQ(health_key("relays{eu}:"), "relays{eu}:health");
  EXPECT_EQ(health_field("MX.Example", "2001:db8::1"), "mx.example|2001:db8::1");
  struct Row {
    const char* field;
    std::optional<std::pair<std::string, std::string>> expected;
  } rows[] = {
      {"mx.example|127.0.0.9", std::pair{"mx.example", "127.0.0.9"}},
      {"odd|name|::1", std::pair{"odd|name", "::1"}},
      {"|127.0.0.9", std::nullopt},
      {"mx.example|", std::nullopt},
      {"mx.example", std::nullopt},
  };
  for (const auto& row : rows) {
    const auto parsed = parse_health_field(row.field);
    ASSERT_EQ(parsed.has_value(), row.expected.has_value()) << row.field;
    if (!parsed) continue;
    EXPECT_EQ(parsed->destination, row.expected->first);
    EXPECT_EQ(parsed->address, row.expected->second);
  }
}

RedisReply bulk(std::string text) {
  return RedisReply{RedisReply::Type::string, std::move(text), 0, {}};
}

RedisReply number(std::int64_t value) {
  return RedisReply{RedisReply::Type::integer, "", value, {}};
}

TEST(ClusterKeys, HealthHoldsOfOtherRelays) {
  const std::chrono::steady_clock::time_point now{};
  RedisReply reply{RedisReply::Type::array, "", 0, {}};
  reply.elements = {
      bulk("mx.example|127.0.0.9"),
      bulk("b 1764870000123 421 4.3.2 busy"),
      number(2500),
      bulk("mx.example|127.0.0.10"),
      bulk("a 1764870000123 ours"),
      number(2500),  // this relay
      bulk("no-address"),
      bulk("b 1764870000123 x"),
      number(2500),
      bulk("mx.example|127.0.0.11"),
      bulk("not a record"),
      number(2500),
      bulk("mx.example|127.0.0.12"),
      bulk("b 1764870000123 ended"),
      number(0),
      bulk("mx.example|127.0.0.13"),  // incomplete
  };
  const auto holds = decode_health_holds(reply, "a", now);
  ASSERT_EQ(holds.size(), 1u);
  EXPECT_EQ(holds[0].destination, "mx.example");
  EXPECT_EQ(holds[0].address, "127.0.0.9");
  EXPECT_EQ(holds[0].node, "b");
  EXPECT_EQ(holds[0].reason, "421 4.3.2 busy");
  EXPECT_EQ(holds[0].until, now + milliseconds(2500));
  EXPECT_TRUE(decode_health_holds(number(1), "a", now).empty());
}

TEST(ClusterKeys, SuspensionValues) {
  struct Row {
    const char* value;
    std::optional<SuspensionRecord> expected;
  } rows[] = {
      {"relay-a 1764870000123 451 4.7.650 rate limited",
       SuspensionRecord{"relay-a", 1764870000123, "451 4.7.650 rate limited"}},
      {"b 0 ", SuspensionRecord{"b", 0, ""}},
      {"b 5 two\nlines", SuspensionRecord{"b", 5, "two\nlines"}},
      {"", std::nullopt},
      {"relay-a", std::nullopt},
      {"relay-a 1764870000123", std::nullopt},
      {" 1764870000123 reply", std::nullopt},
      {"relay-a  reply", std::nullopt},
      {"relay-a -5 reply", std::nullopt},
      {"relay-a 12x reply", std::nullopt},
      {"relay-a 99999999999999999999 reply", std::nullopt},
  };
  for (const auto& row : rows) EXPECT_EQ(parse_suspension(row.value), row.expected) << row.value;
  const SuspensionRecord record{"node-1", 1764870000123, "421 4.7.0 [TSS04] deferred"};
  EXPECT_EQ(parse_suspension(format_suspension(record)), record);
}

TEST(ClusterKeys, SuspensionEndsOnTheSteadyClock) {
  const auto system_now = std::chrono::system_clock::time_point{} + milliseconds(1764870000000);
  const auto steady_now = std::chrono::steady_clock::time_point{} + milliseconds(5000);
  EXPECT_EQ(steady_until(1764870000000 + 900000, system_now, steady_now),
            steady_now + milliseconds(900000));
  EXPECT_EQ(steady_until(1764870000000 - 10, system_now, steady_now),
            steady_now - milliseconds(10));
}

TEST(RedisConnection, ReconnectionBacksOffFrom100MsDoublingTo5Seconds) {
  struct Row {
    unsigned failures;
    milliseconds expected;
  } rows[] = {{0, milliseconds(100)},  {1, milliseconds(100)},  {2, milliseconds(200)},
              {3, milliseconds(400)},  {6, milliseconds(3200)}, {7, milliseconds(5000)},
              {50, milliseconds(5000)}};
  for (const auto& row : rows)
    EXPECT_EQ(reconnect_delay(row.failures), row.expected) << row.failures;
}

TEST(RedisReply, ErrorCodes) {
  RedisReply reply{RedisReply::Type::error, "NOSCRIPT No matching script.", 0, {}};
  EXPECT_TRUE(reply.is_error());
  EXPECT_TRUE(reply.is_error("NOSCRIPT"));
  EXPECT_FALSE(reply.is_error("NOSCRIPTS"));
  EXPECT_FALSE(reply.is_error("ERR"));
  EXPECT_TRUE(RedisReply({RedisReply::Type::error, "LOADING", 0, {}}).is_error("LOADING"));
  EXPECT_FALSE(RedisReply({RedisReply::Type::status, "NOSCRIPT", 0, {}}).is_error("NOSCRIPT"));
}

}  // namespace
}  // namespace mxrelay::mta
