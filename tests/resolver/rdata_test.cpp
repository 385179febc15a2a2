// tests/resolver: wire-format rdata decoding and the names of types and outcomes.
#include "resolver/rdata.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace mxrelay::resolver {
namespace {

TEST(Rdata, MxWithName) {
  std::vector<std::uint8_t> wire{0,   5,   4,   'M', 'a', 'i', 'l', 7,   'e', 'x',
                                 'a', 'm', 'p', 'l', 'e', 3,   'o', 'r', 'g', 0};
  auto record = parse_mx_rdata(wire);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->preference, 5);
  EXPECT_EQ(record->exchange, "mail.example.org");
}

// Binary label bytes never reach a log or a JSON document raw: RFC 1035 \DDD, and an
// escaped '.' or '\' inside a label.
TEST(Rdata, NamesFromTheWireAreInPresentationForm) {
  std::vector<std::uint8_t> wire{0, 10, 6, 0, 'M', '.', '\\', 0xff, ' ', 2, 'm', 'x', 0};
  auto record = parse_mx_rdata(wire);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->exchange, "\\000m\\.\\\\\\255\\032.mx");
  EXPECT_EQ(escape_unprintable("a\x01"
                               "b.\xc3\xa9x\\046"),
            "a\\001b.\\195\\169x\\046");
}

TEST(Rdata, NullMxIsTheRoot) {
  std::vector<std::uint8_t> wire{0, 0, 0};
  auto record = parse_mx_rdata(wire);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->exchange, "");
}

TEST(Rdata, MalformedMxRejected) {
  for (const auto& wire : std::vector<std::vector<std::uint8_t>>{
           {0, 5}, {0, 5, 4, 'a', 'b'}, {0, 5, 1, 'a'}, {0, 5, 0, 1}, {1, 0, 64, 'a', 0}})
    EXPECT_FALSE(parse_mx_rdata(wire));
}

TEST(Rdata, Addresses) {
  std::vector<std::uint8_t> v4{192, 0, 2, 1};
  EXPECT_EQ(parse_address_rdata(RrType::a, v4)->str(), "192.0.2.1");
  EXPECT_FALSE(parse_address_rdata(RrType::aaaa, v4));
  std::vector<std::uint8_t> v6(16, 0);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = 0xb8;
  v6[15] = 1;
  EXPECT_EQ(parse_address_rdata(RrType::aaaa, v6)->str(), "2001:db8::1");
}

TEST(DnsAnswerNames, TypesOutcomesAndTemporariness) {
  EXPECT_STREQ(to_string(RrType::mx), "MX");
  EXPECT_STREQ(to_string(RrType::aaaa), "AAAA");
  EXPECT_STREQ(to_string(DnsOutcome::nxdomain), "nxdomain");
  for (auto outcome :
       {DnsOutcome::servfail, DnsOutcome::timeout, DnsOutcome::bogus, DnsOutcome::error})
    EXPECT_TRUE(is_temporary(outcome)) << to_string(outcome);
  for (auto outcome : {DnsOutcome::ok, DnsOutcome::nodata, DnsOutcome::nxdomain})
    EXPECT_FALSE(is_temporary(outcome)) << to_string(outcome);
}

}  // namespace
}  // namespace mxrelay::resolver
