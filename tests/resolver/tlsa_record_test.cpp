// tests/resolver: TLSA rdata decoding (RFC 6698 2.1) and the TLSA owner name.
#include <gtest/gtest.h>

#include <vector>

#include "resolver/rdata.hpp"
#include "resolver/tlsa_record.hpp"

namespace mxrelay::resolver {
namespace {

TEST(TlsaRdata, FieldsAndAssociationData) {
  const std::vector<std::uint8_t> wire{3, 1, 1, 0xde, 0xad, 0xbe, 0xef};
  const auto record = parse_tlsa_rdata(wire);
  ASSERT_TRUE(record);
  EXPECT_EQ(*record, (TlsaRecord{3, 1, 1, {0xde, 0xad, 0xbe, 0xef}}));
}

TEST(TlsaRdata, TooShortIsMalformed) {
  for (const auto& wire : std::vector<std::vector<std::uint8_t>>{{}, {3}, {3, 1}, {3, 1, 1}})
    EXPECT_FALSE(parse_tlsa_rdata(wire)) << wire.size();
}

TEST(TlsaRdata, UnknownValuesAreKeptForThePolicyToJudge) {
  const std::vector<std::uint8_t> wire{255, 7, 9, 1};
  const auto record = parse_tlsa_rdata(wire);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->usage, 255);
  EXPECT_EQ(record->selector, 7);
  EXPECT_EQ(record->matching_type, 9);
}

TEST(TlsaQueryName, PortProtocolAndCanonicalHost) {
  EXPECT_EQ(tlsa_query_name("MX1.Example.COM.", 25), "_25._tcp.mx1.example.com");
  EXPECT_EQ(tlsa_query_name("smtp.example.net", 2525), "_2525._tcp.smtp.example.net");
}

}  // namespace
}  // namespace mxrelay::resolver
