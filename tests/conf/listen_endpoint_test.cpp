// Tests for conf::parse_listen_endpoint and ListenEndpoint::str().
#include "conf/listen_endpoint.hpp"

#include <gtest/gtest.h>

namespace mxrelay::conf {
namespace {

TEST(ParseListenEndpoint, Table) {
  struct Row {
    const char* text;
    const char* formatted;  // nullptr: rejected
  } rows[] = {
      {"127.0.0.1:2525", "127.0.0.1:2525"},
      {"0.0.0.0:25", "0.0.0.0:25"},
      {"[::1]:25", "[::1]:25"},
      {"[2001:DB8::1]:587", "[2001:db8::1]:587"},
      {"[::]:0", "[::]:0"},
      {"127.0.0.1:65535", "127.0.0.1:65535"},
      {"127.0.0.1:65536", nullptr},
      {"127.0.0.1", nullptr},
      {"127.0.0.1:", nullptr},
      {":25", nullptr},
      {"::1:25", nullptr},
      {"[::1]", nullptr},
      {"[::1]25", nullptr},
      {"[127.0.0.1]:25", nullptr},
      {"localhost:25", nullptr},
      {"127.0.0.1:smtp", nullptr},
      {"127.0.0.1: 25", nullptr},
      {"", nullptr},
  };
  for (const auto& row : rows) {
    auto endpoint = parse_listen_endpoint(row.text);
    ASSERT_EQ(endpoint.has_value(), row.formatted != nullptr) << row.text;
    if (!endpoint) continue;
    EXPECT_EQ(endpoint->str(), row.formatted) << row.text;
  }
}

TEST(ParseListenEndpoint, KeepsAddressAndPort) {
  auto endpoint = parse_listen_endpoint("[::1]:2525");
  ASSERT_TRUE(endpoint);
  EXPECT_TRUE(endpoint->address.is_v6());
  EXPECT_TRUE(endpoint->address.is_loopback());
  EXPECT_EQ(endpoint->port, 2525);
}

}  // namespace
}  // namespace mxrelay::conf
