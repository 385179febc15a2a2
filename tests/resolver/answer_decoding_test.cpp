// tests/resolver: what a resolver result means (decode_answer), table-driven: rcode and flags
// to an outcome, records to MX, addresses, PTR names and TLSA, and a malformed record spoiling the
// whole answer instead of leaving part of an RRset.
#include "resolver/answer_decoding.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::resolver {
namespace {

using Bytes = std::vector<std::uint8_t>;

const Bytes kMx10{0, 10, 2, 'm', 'x', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
const Bytes kMxTruncated{0, 20, 5, 'm', 'x'};
const Bytes kLoopback{127, 0, 0, 9};
const Bytes kTlsa{3, 1, 1, 0xab, 0xcd};
const Bytes kPtr{4, 'M', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
const Bytes kPtrTruncated{4, 'm', 'a'};

// A result with this rcode and these flags.
RawAnswer result(int rcode, bool nxdomain, bool havedata, bool bogus = false) {
  RawAnswer raw;
  raw.rcode = rcode;
  raw.nxdomain = nxdomain;
  raw.havedata = havedata;
  raw.bogus = bogus;
  return raw;
}

DnsAnswer question(RrType type) {
  DnsAnswer answer;
  answer.qname = "example";
  answer.qtype = type;
  return answer;
}

struct Row {
  const char* name;
  RrType qtype;
  RawAnswer raw;
  std::vector<Bytes> records;
  DnsOutcome outcome;
  std::size_t mx = 0;
  std::size_t addresses = 0;
  std::size_t tlsa = 0;
};

TEST(AnswerDecoding, OutcomesAndRecords) {
  const std::vector<Row> rows{
      {"nxdomain flag", RrType::mx, result(0, true, false), {}, DnsOutcome::nxdomain},
      {"nxdomain rcode", RrType::mx, result(3, false, false), {}, DnsOutcome::nxdomain},
      {"servfail", RrType::mx, result(2, false, false), {}, DnsOutcome::servfail},
      {"refused", RrType::a, result(5, false, false), {}, DnsOutcome::servfail},
      {"nodata", RrType::mx, result(0, false, false), {}, DnsOutcome::nodata},
      {"bogus wins", RrType::mx, result(0, false, true, true), {kMx10}, DnsOutcome::bogus},
      {"one mx", RrType::mx, result(0, false, true), {kMx10}, DnsOutcome::ok, 1},
      {"a malformed mx spoils the rrset",
       RrType::mx,
       result(0, false, true),
       {kMx10, kMxTruncated},
       DnsOutcome::error},
      {"address", RrType::a, result(0, false, true), {kLoopback, kLoopback}, DnsOutcome::ok, 0, 2},
      {"a record of the wrong size",
       RrType::aaaa,
       result(0, false, true),
       {kLoopback},
       DnsOutcome::error},
      {"tlsa", RrType::tlsa, result(0, false, true), {kTlsa}, DnsOutcome::ok, 0, 0, 1},
      {"ptr", RrType::ptr, result(0, false, true), {kPtr}, DnsOutcome::ok},
      {"a malformed ptr", RrType::ptr, result(0, false, true), {kPtrTruncated}, DnsOutcome::error},
      {"dnskey counted", RrType::dnskey, result(0, false, true), {kTlsa}, DnsOutcome::ok},
      {"data flag without records", RrType::a, result(0, false, true), {}, DnsOutcome::nodata},
  };
  for (const auto& row : rows) {
    SCOPED_TRACE(row.name);
    RawAnswer raw = row.raw;
    for (const auto& record : row.records) raw.records.emplace_back(record);
    DnsAnswer answer = question(row.qtype);
    std::vector<TlsaRecord> tlsa;
    decode_answer(raw, answer, tlsa);
    EXPECT_EQ(answer.outcome, row.outcome);
    EXPECT_EQ(answer.mx.size(), row.mx);
    EXPECT_EQ(answer.addresses.size(), row.addresses);
    EXPECT_EQ(tlsa.size(), row.tlsa);
  }
}

TEST(AnswerDecoding, NamesAreEscapedAndCanonical) {
  RawAnswer raw = result(0, false, true);
  raw.why_bogus = "bad\x01sig";
  raw.canonname = "Alias\x7f.Example.";
  raw.records.emplace_back(kMx10);
  DnsAnswer answer = question(RrType::mx);
  std::vector<TlsaRecord> tlsa;
  decode_answer(raw, answer, tlsa);
  EXPECT_EQ(answer.canonical_name, "alias\\127.example");
  EXPECT_EQ(answer.why_bogus, "bad\\001sig");
  RawAnswer without_alias = result(0, false, true);
  without_alias.records.emplace_back(kMx10);
  DnsAnswer plain = question(RrType::mx);
  decode_answer(without_alias, plain, tlsa);
  EXPECT_EQ(plain.canonical_name, "example");
}

TEST(AnswerDecoding, PtrTargetsAreCanonicalNames) {
  RawAnswer raw = result(0, false, true);
  raw.records.emplace_back(kPtr);
  DnsAnswer answer = question(RrType::ptr);
  std::vector<TlsaRecord> tlsa;
  decode_answer(raw, answer, tlsa);
  ASSERT_EQ(answer.names.size(), 1U);
  EXPECT_EQ(answer.names[0], "mail.example");
}

}  // namespace
}  // namespace mxrelay::resolver
