// Tests for the RFC 7672 DANE decision: every row of the table in mta/dane_policy.hpp, for
// dane and dane-only; which TLSA records are usable; and the DNSSEC status read from a route.
#include "mta/outbound/dane_policy.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace mxrelay::mta {
namespace {

using resolver::DnsOutcome;
using resolver::TlsaAnswer;
using resolver::TlsaRecord;

TlsaRecord record(std::uint8_t usage, std::uint8_t selector, std::uint8_t matching_type,
                  std::size_t length) {
  return {usage, selector, matching_type, std::vector<std::uint8_t>(length, 0xab)};
}

const TlsaRecord dane_ee = record(3, 1, 1, 32);
const TlsaRecord dane_ta = record(2, 0, 2, 64);
const TlsaRecord pkix_ee = record(1, 1, 1, 32);
const TlsaRecord pkix_ta = record(0, 0, 1, 32);

std::optional<TlsaAnswer> tlsa(DnsOutcome outcome, bool secure,
                               std::vector<TlsaRecord> records = {}) {
  TlsaAnswer answer;
  answer.dns.outcome = outcome;
  answer.dns.secure = secure;
  answer.dns.bogus = outcome == DnsOutcome::bogus;
  answer.records = std::move(records);
  return answer;
}

struct Row {
  const char* name;
  DaneDnssec dnssec;
  std::optional<TlsaAnswer> answer;  // nullopt: not looked up
  // dane
  TlsPolicy dane_session;
  std::size_t dane_records;
  const char* dane_failure;  // enhanced status, "" when none
  // dane-only
  TlsPolicy only_session;
  const char* only_failure;
};

const DaneDnssec secure{true, true};

std::vector<Row> rows() {
  return {
      {"MX insecure", {false, true}, std::nullopt, TlsPolicy::may, 0, "", TlsPolicy::may, "4.7.4"},
      {"address insecure",
       {true, false},
       std::nullopt,
       TlsPolicy::may,
       0,
       "",
       TlsPolicy::may,
       "4.7.4"},
      {"both insecure",
       {false, false},
       std::nullopt,
       TlsPolicy::may,
       0,
       "",
       TlsPolicy::may,
       "4.7.4"},
      {"secure but not looked up", secure, std::nullopt, TlsPolicy::may, 0, "4.7.5", TlsPolicy::may,
       "4.7.5"},
      {"secure NODATA", secure, tlsa(DnsOutcome::nodata, true), TlsPolicy::may, 0, "",
       TlsPolicy::may, "4.7.4"},
      {"secure NXDOMAIN", secure, tlsa(DnsOutcome::nxdomain, true), TlsPolicy::may, 0, "",
       TlsPolicy::may, "4.7.4"},
      {"insecure NXDOMAIN", secure, tlsa(DnsOutcome::nxdomain, false), TlsPolicy::may, 0, "",
       TlsPolicy::may, "4.7.4"},
      {"insecure TLSA records", secure, tlsa(DnsOutcome::ok, false, {dane_ee}), TlsPolicy::may, 0,
       "", TlsPolicy::may, "4.7.4"},
      {"SERVFAIL", secure, tlsa(DnsOutcome::servfail, false), TlsPolicy::may, 0, "4.7.5",
       TlsPolicy::may, "4.7.5"},
      {"timeout", secure, tlsa(DnsOutcome::timeout, false), TlsPolicy::may, 0, "4.7.5",
       TlsPolicy::may, "4.7.5"},
      {"bogus", secure, tlsa(DnsOutcome::bogus, false), TlsPolicy::may, 0, "4.7.5", TlsPolicy::may,
       "4.7.5"},
      {"local error", secure, tlsa(DnsOutcome::error, false), TlsPolicy::may, 0, "4.7.5",
       TlsPolicy::may, "4.7.5"},
      {"DANE-EE", secure, tlsa(DnsOutcome::ok, true, {dane_ee}), TlsPolicy::verify, 1, "",
       TlsPolicy::verify, ""},
      {"DANE-TA and PKIX-EE", secure, tlsa(DnsOutcome::ok, true, {dane_ta, pkix_ee}),
       TlsPolicy::verify, 1, "", TlsPolicy::verify, ""},
      {"only PKIX usages", secure, tlsa(DnsOutcome::ok, true, {pkix_ee, pkix_ta}),
       TlsPolicy::encrypt, 0, "", TlsPolicy::may, "4.7.4"},
      {"only malformed digests", secure, tlsa(DnsOutcome::ok, true, {record(3, 1, 1, 20)}),
       TlsPolicy::encrypt, 0, "", TlsPolicy::may, "4.7.4"},
  };
}

void check(const DaneRequirement& got, TlsPolicy session, std::size_t records,
           const std::string& failure) {
  EXPECT_EQ(got.failure ? got.failure->status.str() : "", failure);
  if (got.failure) {
    EXPECT_FALSE(got.failure->is_permanent());
    EXPECT_NE(got.failure->reason.find("mx.example"), std::string::npos) << got.failure->reason;
    EXPECT_TRUE(got.tlsa.empty());
    return;
  }
  EXPECT_EQ(got.session_policy, session);
  EXPECT_EQ(got.tlsa.size(), records);
  EXPECT_EQ(got.authenticates(), records > 0);
  EXPECT_FALSE(got.note.empty());
}

TEST(DanePolicy, TheBasisTellsTlsReportingWhatTheTlsaRecordsCameTo) {
  const DaneDnssec secure{true, true};
  struct BasisRow {
    const char* name;
    DaneDnssec dnssec;
    std::optional<TlsaAnswer> answer;
    TlsaBasis basis;
  };
  const std::vector<BasisRow> basis_rows = {
      {"MX insecure", {false, true}, std::nullopt, TlsaBasis::insecure},
      {"no TLSA records", secure, tlsa(DnsOutcome::nodata, true), TlsaBasis::insecure},
      {"not looked up", secure, std::nullopt, TlsaBasis::lookup_failed},
      {"SERVFAIL", secure, tlsa(DnsOutcome::servfail, false), TlsaBasis::lookup_failed},
      {"only PKIX usages", secure, tlsa(DnsOutcome::ok, true, {pkix_ee}), TlsaBasis::unusable},
      {"DANE-EE", secure, tlsa(DnsOutcome::ok, true, {dane_ee}), TlsaBasis::usable},
  };
  for (const auto& row : basis_rows)
    for (const auto policy : {TlsPolicy::dane, TlsPolicy::dane_only}) {
      const TlsaAnswer* answer = row.answer ? &*row.answer : nullptr;
      EXPECT_EQ(decide_dane(policy, row.dnssec, answer, "mx.example").basis, row.basis)
          << row.name << " " << to_string(policy);
    }
}

TEST(DanePolicy, EveryRowForDaneAndDaneOnly) {
  for (const auto& row : rows()) {
    SCOPED_TRACE(row.name);
    const TlsaAnswer* answer = row.answer ? &*row.answer : nullptr;
    {
      SCOPED_TRACE("dane");
      check(decide_dane(TlsPolicy::dane, row.dnssec, answer, "mx.example"), row.dane_session,
            row.dane_records, row.dane_failure);
    }
    {
      SCOPED_TRACE("dane-only");
      check(decide_dane(TlsPolicy::dane_only, row.dnssec, answer, "mx.example"), row.only_session,
            row.dane_records, row.only_failure);
    }
  }
}

TEST(DanePolicy, LookupIsNeededOnlyForDanePoliciesOverSecureRecords) {
  EXPECT_TRUE(needs_tlsa_lookup(TlsPolicy::dane, secure));
  EXPECT_TRUE(needs_tlsa_lookup(TlsPolicy::dane_only, secure));
  EXPECT_FALSE(needs_tlsa_lookup(TlsPolicy::verify, secure));
  EXPECT_FALSE(needs_tlsa_lookup(TlsPolicy::dane, {false, true}));
  EXPECT_FALSE(needs_tlsa_lookup(TlsPolicy::dane, {true, false}));
}

TEST(DanePolicy, UsableRecords) {
  struct Case {
    TlsaRecord record;
    bool usable;
  };
  for (const auto& c : std::vector<Case>{
           {record(3, 1, 1, 32), true},
           {record(3, 0, 2, 64), true},
           {record(2, 1, 0, 300), true},
           {record(2, 0, 1, 32), true},
           {record(0, 1, 1, 32), false},
           {record(1, 0, 1, 32), false},
           {record(4, 1, 1, 32), false},
           {record(3, 2, 1, 32), false},
           {record(3, 1, 3, 32), false},
           {record(3, 1, 1, 31), false},
           {record(3, 1, 2, 32), false},
           {record(3, 1, 0, 0), false},
       }) {
    SCOPED_TRACE(std::to_string(c.record.usage) + " " + std::to_string(c.record.selector) + " " +
                 std::to_string(c.record.matching_type) + " len " +
                 std::to_string(c.record.data.size()));
    EXPECT_EQ(is_usable(c.record), c.usable);
  }
}

resolver::DnsAnswer answer(std::string name, resolver::RrType type, bool secure,
                           std::vector<core::IpAddress> addresses = {}) {
  resolver::DnsAnswer out;
  out.qname = name;
  out.canonical_name = std::move(name);
  out.qtype = type;
  out.outcome = DnsOutcome::ok;
  out.secure = secure;
  out.addresses = std::move(addresses);
  return out;
}

TEST(DanePolicy, DnssecStatusComesFromTheRoutesAnswers) {
  const auto first = *core::IpAddress::parse("192.0.2.1");
  const auto second = *core::IpAddress::parse("192.0.2.2");
  resolver::RouteExplanation route;
  route.domain = route.lookup_name = "dest.example";
  route.queries = {answer("dest.example", resolver::RrType::mx, true),
                   answer("mx1.dest.example", resolver::RrType::a, true, {first}),
                   answer("mx2.dest.example", resolver::RrType::a, false, {second})};
  const resolver::Candidate mx1{"mx1.dest.example", 10, first, 25};
  const resolver::Candidate mx2{"mx2.dest.example", 20, second, 25};
  EXPECT_TRUE(dnssec_of(route, mx1).mx_secure);
  EXPECT_TRUE(dnssec_of(route, mx1).address_secure);
  EXPECT_FALSE(dnssec_of(route, mx2).address_secure);

  route.queries[0].secure = false;
  EXPECT_FALSE(dnssec_of(route, mx1).mx_secure);

  resolver::RouteExplanation transport_host;
  transport_host.domain = "dest.example";
  transport_host.lookup_name = "relay.example";
  transport_host.queries = {answer("relay.example", resolver::RrType::a, true, {first})};
  const resolver::Candidate relay{"relay.example", 0, first, 25};
  EXPECT_TRUE(dnssec_of(transport_host, relay).mx_secure);
  EXPECT_TRUE(dnssec_of(transport_host, relay).address_secure);
  const resolver::Candidate literal{"192.0.2.1", 0, first, 25};
  EXPECT_FALSE(dnssec_of(transport_host, literal).address_secure);
}

}  // namespace
}  // namespace mxrelay::mta
