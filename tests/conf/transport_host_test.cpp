// Table tests for the `host` syntax of transport entries.
#include "conf/transport_host.hpp"

#include <gtest/gtest.h>

namespace mxrelay::conf {
namespace {

TEST(TransportHost, ValidForms) {
  struct Row {
    const char* text;
    const char* name;
    bool is_address;
    int port;  // 0: none
  } rows[] = {
      {"mail.example.net", "mail.example.net", false, 0},
      {"Mail.Example.NET.", "mail.example.net", false, 0},
      {"mail.example.net:2525", "mail.example.net", false, 2525},
      {"localhost", "localhost", false, 0},
      {"bücher.example:25", "xn--bcher-kva.example", false, 25},
      {"192.0.2.1", "192.0.2.1", true, 0},
      {"192.0.2.1:25", "192.0.2.1", true, 25},
      {"[192.0.2.1]", "192.0.2.1", true, 0},
      {"[192.0.2.1]:465", "192.0.2.1", true, 465},
      {"[2001:DB8::1]", "2001:db8::1", true, 0},
      {"[2001:db8::1]:587", "2001:db8::1", true, 587},
  };
  for (const auto& row : rows) {
    auto host = parse_transport_host(row.text);
    ASSERT_TRUE(host) << row.text << ": " << host.error();
    EXPECT_EQ(host->name, row.name) << row.text;
    EXPECT_EQ(host->address.has_value(), row.is_address) << row.text;
    if (row.is_address) {
      EXPECT_EQ(host->address->str(), row.name) << row.text;
    }
    EXPECT_EQ(host->port.value_or(0), row.port) << row.text;
  }
}

TEST(TransportHost, InvalidForms) {
  const char* const kBadName =
      "invalid host name (use dot-separated labels of letters, digits and hyphens)";
  struct Row {
    const char* text;
    const char* error;
  } rows[] = {
      {"", "must not be empty"},
      {"2001:db8::1", "IPv6 addresses need brackets"},
      {"[mail.example.net]", "brackets hold an IP address only"},
      {"[mail.example.net]:25", "brackets hold an IP address only"},
      {"[192.0.2.1", "missing \"]\""},
      {"[192.0.2.1]25", "unexpected text after \"]\""},
      {"[::1]:0", "port must be 1..65535"},
      {"mail.example.net:0", "port must be 1..65535"},
      {"mail.example.net:65536", "port must be 1..65535"},
      {"mail.example.net:", "port must be 1..65535"},
      {"mail.example.net:smtp", "port must be 1..65535"},
      {"-mail.example.net", kBadName},
      {"mail..example.net", kBadName},
      {"mail example.net", kBadName},
      {"192.0.2.300", kBadName},
  };
  for (const auto& row : rows) {
    auto host = parse_transport_host(row.text);
    ASSERT_FALSE(host) << row.text;
    EXPECT_EQ(host.error(), row.error) << row.text;
  }
}

}  // namespace
}  // namespace mxrelay::conf
