// Tests for core::IpAddress and core::Cidr.
#include "core/ip_address.hpp"

#include <gtest/gtest.h>

#include <string_view>
#include <utility>

namespace mxrelay::core {
namespace {

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  struct Row {
    const char* text;
    bool ok;
    bool v6;
    const char* formatted;
  } rows[] = {
      {"127.0.0.1", true, false, "127.0.0.1"},
      {"::1", true, true, "::1"},
      {"2001:DB8::1", true, true, "2001:db8::1"},
      {"256.0.0.1", false, false, ""},
      {"", false, false, ""},
      {"example.com", false, false, ""},
      {"127.0.0.1 ", false, false, ""},
  };
  for (const auto& row : rows) {
    auto parsed = IpAddress::parse(row.text);
    ASSERT_EQ(parsed.has_value(), row.ok) << row.text;
    if (!row.ok) continue;
    EXPECT_EQ(parsed->is_v6(), row.v6) << row.text;
    EXPECT_EQ(parsed->str(), row.formatted) << row.text;
  }
}

TEST(IpAddress, Loopback) {
  EXPECT_TRUE(IpAddress::parse("127.1.2.3")->is_loopback());
  EXPECT_TRUE(IpAddress::parse("::1")->is_loopback());
  EXPECT_FALSE(IpAddress::parse("128.0.0.1")->is_loopback());
  EXPECT_FALSE(IpAddress::parse("::2")->is_loopback());
}

TEST(IpAddress, NotADestination) {
  const std::pair<const char*, std::string_view> rows[] = {
      {"192.0.2.1", ""},
      {"127.0.0.1", ""},
      {"0.0.0.0", "unspecified"},
      {"224.0.0.1", "multicast"},
      {"239.255.255.255", "multicast"},
      {"240.0.0.1", ""},
      {"255.255.255.255", "broadcast"},
      {"::", "unspecified"},
      {"::1", ""},
      {"ff02::1", "multicast"},
      {"2001:db8::1", ""},
      {"fe80::1", ""},
  };
  for (const auto& [text, kind] : rows)
    EXPECT_EQ(IpAddress::parse(text)->not_a_destination(), kind) << text;
}

TEST(Cidr, ContainsTable) {
  struct Row {
    const char* network;
    const char* address;
    bool inside;
  } rows[] = {
      {"127.0.0.0/8", "127.255.0.1", true},
      {"127.0.0.0/8", "128.0.0.1", false},
      {"10.1.2.0/23", "10.1.3.255", true},
      {"10.1.2.0/23", "10.1.4.0", false},
      {"0.0.0.0/0", "203.0.113.9", true},
      {"0.0.0.0/0", "::1", false},
      {"::1/128", "::1", true},
      {"::1", "::2", false},
      {"2001:db8::/32", "2001:db8:ffff::1", true},
      {"2001:db8::/33", "2001:db8:8000::1", false},
      {"192.0.2.7", "192.0.2.7", true},
      {"192.0.2.7", "192.0.2.8", false},
  };
  for (const auto& row : rows) {
    auto cidr = Cidr::parse(row.network);
    ASSERT_TRUE(cidr) << row.network;
    EXPECT_EQ(cidr->contains(*IpAddress::parse(row.address)), row.inside)
        << row.network << " " << row.address;
  }
}

TEST(Cidr, RejectsMalformed) {
  for (const char* bad :
       {"127.0.0.0/33", "::/129", "127.0.0.0/", "127.0.0.0/x", "1.2.3/8", "/8", "127.0.0.0/8/8"})
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
}

}  // namespace
}  // namespace mxrelay::core
