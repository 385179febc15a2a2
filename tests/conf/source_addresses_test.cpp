// Tests for delivery.source_addresses and how it combines with source_ipv4 / source_ipv6:
// the values that load, configured_sources(), and each error's text and position.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

std::vector<std::string> sources_of(const std::string& toml) {
  auto config = parse_config(toml, "t.toml");
  EXPECT_TRUE(config) << (config ? std::string() : config.error().front().str());
  std::vector<std::string> out;
  if (config)
    for (const auto& address : configured_sources(config->delivery)) out.push_back(address.str());
  return out;
}

TEST(SourceAddresses, WhatEachWayConfigures) {
  struct Row {
    const char* what;
    const char* toml;
    std::vector<std::string> sources;
  };
  const std::vector<Row> rows{
      {"nothing: the kernel chooses", "[delivery]\n", {}},
      {"an empty list", "[delivery]\nsource_addresses = []\n", {}},
      {"one per family",
       "[delivery]\nsource_ipv4 = \"127.0.0.5\"\nsource_ipv6 = \"::1\"\n",
       {"127.0.0.5", "::1"}},
      {"IPv4 only", "[delivery]\nsource_ipv4 = \"127.0.0.5\"\n", {"127.0.0.5"}},
      {"the list, in its order",
       "[delivery]\nsource_addresses = [\"127.0.0.6\", \"::1\", \"127.0.0.5\"]\n",
       {"127.0.0.6", "::1", "127.0.0.5"}},
      {"an empty list beside source_ipv4",
       "[delivery]\nsource_addresses = []\nsource_ipv4 = \"127.0.0.5\"\n",
       {"127.0.0.5"}},
      {"the list beside empty source_ipv4",
       "[delivery]\nsource_addresses = [\"127.0.0.5\"]\nsource_ipv4 = \"\"\n",
       {"127.0.0.5"}},
  };
  for (const auto& row : rows) EXPECT_EQ(sources_of(row.toml), row.sources) << row.what;
}

TEST(SourceAddresses, ErrorsCarryTheirPosition) {
  check({
      {"not an address",
       "[delivery]\nsource_addresses = [\"127.0.0.5\", \"mx.example\"]\n",
       {"t.toml:2:34: delivery.source_addresses: invalid address \"mx.example\" (a local IPv4 "
        "or IPv6 address, without a prefix length)"}},
      {"a prefix",
       "[delivery]\nsource_addresses = [\"2001:db8::/64\"]\n",
       {"t.toml:2:21: delivery.source_addresses: invalid address \"2001:db8::/64\" (a local "
        "IPv4 or IPv6 address, without a prefix length)"}},
      {"listed twice",
       "[delivery]\nsource_addresses = [\"127.0.0.5\", \"127.0.0.6\", \"127.0.0.5\"]\n",
       {"t.toml:2:47: delivery.source_addresses: \"127.0.0.5\" is listed twice"}},
      {"not a string",
       "[delivery]\nsource_addresses = [5]\n",
       {"t.toml:2:21: delivery.source_addresses: expected a string, got an integer"}},
      {"not an array",
       "[delivery]\nsource_addresses = \"127.0.0.5\"\n",
       {"t.toml:2:20: delivery.source_addresses: expected an array of strings, got a string"}},
      {"with source_ipv4 and source_ipv6",
       "[delivery]\nsource_addresses = [\"127.0.0.5\"]\nsource_ipv4 = \"127.0.0.6\"\n"
       "source_ipv6 = \"::1\"\n",
       {"t.toml:3:15: delivery.source_ipv4: set together with delivery.source_addresses (at "
        "2:20); list every source address in source_addresses instead",
        "t.toml:4:15: delivery.source_ipv6: set together with delivery.source_addresses (at "
        "2:20); list every source address in source_addresses instead"}},
  });
}

}  // namespace
}  // namespace mxrelay::conf
