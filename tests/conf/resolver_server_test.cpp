// Tests for conf::parse_resolver_server and ResolverServer::str().
#include "conf/resolver_server.hpp"

#include <gtest/gtest.h>

namespace mxrelay::conf {
namespace {

TEST(ParseResolverServer, Table) {
  struct Row {
    const char* text;
    const char* formatted;  // nullptr: rejected
  } rows[] = {
      {"127.0.0.1", "127.0.0.1"},
      {"127.0.0.1@5353", "127.0.0.1@5353"},
      {"::1", "::1"},
      {"::1@53", "::1@53"},
      {"2001:DB8::53@5300", "2001:db8::53@5300"},
      {"127.0.0.1@65535", "127.0.0.1@65535"},
      {"127.0.0.1@0", nullptr},
      {"127.0.0.1@65536", nullptr},
      {"127.0.0.1@", nullptr},
      {"127.0.0.1:53", nullptr},
      {"[::1]@53", nullptr},
      {"[::1]:53", nullptr},
      {"@53", nullptr},
      {"ns1.example.com", nullptr},
      {"127.0.0.1@53@53", nullptr},
      {"", nullptr},
  };
  for (const auto& row : rows) {
    auto server = parse_resolver_server(row.text);
    ASSERT_EQ(server.has_value(), row.formatted != nullptr) << row.text;
    if (!server) continue;
    EXPECT_EQ(server->str(), row.formatted) << row.text;
  }
}

TEST(ParseResolverServer, PortIsOptional) {
  EXPECT_FALSE(parse_resolver_server("127.0.0.1")->port.has_value());
  EXPECT_EQ(parse_resolver_server("127.0.0.1@5353")->port, 5353);
}

}  // namespace
}  // namespace mxrelay::conf
