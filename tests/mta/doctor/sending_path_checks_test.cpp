// tests/mta/doctor: the judgement of gathered DNS facts (PTR, FCrDNS, HELO, SPF, DKIM,
// DMARC, the DNSSEC root) and the text and JSON reports with their overall result.
#include "mta/doctor/sending_path_checks.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mta/doctor/doctor_report.hpp"

namespace mxrelay::mta::doctor {
namespace {

using resolver::DnsAnswer;
using resolver::DnsOutcome;
using resolver::RrType;

const core::IpAddress kSource = *core::IpAddress::parse("127.0.0.9");

DnsAnswer answer(const std::string& name, RrType type, DnsOutcome outcome) {
  DnsAnswer result;
  result.qname = name;
  result.qtype = type;
  result.outcome = outcome;
  return result;
}

DnsAnswer addresses(const std::string& name, std::vector<std::string> texts) {
  auto result = answer(name, RrType::a, texts.empty() ? DnsOutcome::nodata : DnsOutcome::ok);
  for (const auto& text : texts) result.addresses.push_back(*core::IpAddress::parse(text));
  return result;
}

SourceFacts source(DnsOutcome ptr_outcome, std::vector<std::string> forward,
                   std::vector<std::string> helo) {
  SourceFacts facts{
      kSource, "delivery.source_ipv4", answer("9.0.0.127.in-addr.arpa", RrType::ptr, ptr_outcome),
      {},      "mail.example.org",     addresses("mail.example.org", std::move(helo))};
  if (ptr_outcome == DnsOutcome::ok) {
    facts.ptr.names.push_back("mail.example.org");
    facts.ptr_forward.emplace_back("mail.example.org", addresses("mail.example.org", forward));
  }
  return facts;
}

std::string statuses(const std::vector<Check>& checks) {
  std::string out;
  for (const auto& check : checks) out += check.name + "=" + to_string(check.status) + " ";
  return out;
}

TEST(SendingPathChecks, SourceAddress) {
  struct Row {
    const char* name;
    SourceFacts facts;
    const char* expected;
  };
  for (const auto& row : std::vector<Row>{
           {"all good", source(DnsOutcome::ok, {"127.0.0.9"}, {"127.0.0.9"}),
            "ptr=pass fcrdns=pass helo=pass "},
           {"ptr does not resolve back", source(DnsOutcome::ok, {"127.0.0.8"}, {"127.0.0.9"}),
            "ptr=pass fcrdns=fail helo=pass "},
           {"no ptr", source(DnsOutcome::nxdomain, {}, {"127.0.0.9"}), "ptr=fail helo=pass "},
           {"ptr lookup timed out", source(DnsOutcome::timeout, {}, {"127.0.0.9"}),
            "ptr=fail helo=pass "},
           {"helo elsewhere", source(DnsOutcome::ok, {"127.0.0.9"}, {"127.0.0.1"}),
            "ptr=pass fcrdns=pass helo=fail "},
           {"helo without address", source(DnsOutcome::ok, {"127.0.0.9"}, {}),
            "ptr=pass fcrdns=pass helo=fail "},
       }) {
    EXPECT_EQ(statuses(check_source(row.facts)), row.expected) << row.name;
  }
  const auto checks = check_source(source(DnsOutcome::nxdomain, {}, {"127.0.0.1"}));
  EXPECT_EQ(checks[0].subject, "127.0.0.9");
  EXPECT_NE(checks[0].detail.find("no PTR record at 9.0.0.127.in-addr.arpa"), std::string::npos);
  EXPECT_NE(checks[1].detail.find("does not resolve to 127.0.0.9 (127.0.0.1)"), std::string::npos);
}

TEST(SendingPathChecks, Spf) {
  struct Row {
    SpfResult result;
    CheckStatus status;
  };
  for (const auto& row : std::vector<Row>{
           {SpfResult::pass, CheckStatus::pass},
           {SpfResult::none, CheckStatus::warn},
           {SpfResult::neutral, CheckStatus::warn},
           {SpfResult::softfail, CheckStatus::fail},
           {SpfResult::fail, CheckStatus::fail},
           {SpfResult::temperror, CheckStatus::fail},
           {SpfResult::permerror, CheckStatus::fail},
       }) {
    EXPECT_EQ(check_spf("example.org", kSource, {row.result, "v=spf1 -all", "x", 0}).status,
              row.status)
        << to_string(row.result);
  }
  const auto fail = check_spf("example.org", kSource,
                              {SpfResult::fail, "v=spf1 ip4:127.0.0.1 -all", "matched -all", 0});
  EXPECT_EQ(fail.detail,
            "127.0.0.9 is not authorised (matched -all) (result fail, record \"v=spf1 "
            "ip4:127.0.0.1 -all\")");
}

TEST(SendingPathChecks, Dkim) {
  DkimFacts facts{"example.org", "s1._domainkey.example.org",
                  answer("s1._domainkey.example.org", RrType::txt, DnsOutcome::ok),
                  dkim::RecordVerdict::matches, ""};
  EXPECT_EQ(check_dkim(facts).status, CheckStatus::pass);
  facts.verdict = dkim::RecordVerdict::other_key;
  EXPECT_EQ(check_dkim(facts).status, CheckStatus::fail);
  facts.answer.outcome = DnsOutcome::servfail;
  EXPECT_NE(check_dkim(facts).detail.find("cannot tell"), std::string::npos);
  facts.verdict.reset();
  facts.key_error = "bad key";
  EXPECT_EQ(check_dkim(facts).status, CheckStatus::fail);
}

TEST(SendingPathChecks, Dmarc) {
  struct Row {
    std::vector<std::string> texts;
    DnsOutcome outcome;
    CheckStatus status;
    const char* detail;
  };
  for (const auto& row : std::vector<Row>{
           {{"v=DMARC1; p=reject; rua=mailto:d@example.org"},
            DnsOutcome::ok,
            CheckStatus::pass,
            "p=reject adkim=r aspf=r pct=100 rua=mailto:d@example.org"},
           {{"v=DMARC1; p=none"}, DnsOutcome::ok, CheckStatus::pass, "note: p=none only monitors"},
           {{}, DnsOutcome::nxdomain, CheckStatus::warn, "no DMARC record at _dmarc.example.org"},
           {{"v=spf1 -all"}, DnsOutcome::ok, CheckStatus::warn, "no DMARC record"},
           {{"v=DMARC1; p=reject", "v=DMARC1; p=none"},
            DnsOutcome::ok,
            CheckStatus::fail,
            "more than one DMARC record"},
           {{"v=DMARC1; p=blocked"}, DnsOutcome::ok, CheckStatus::fail, "p=blocked"},
           {{}, DnsOutcome::timeout, CheckStatus::fail, "cannot tell"},
       }) {
    auto dns = answer("_dmarc.example.org", RrType::txt, row.outcome);
    dns.texts = row.texts;
    const auto check = check_dmarc("example.org", dns);
    EXPECT_EQ(check.status, row.status) << check.detail;
    EXPECT_NE(check.detail.find(row.detail), std::string::npos) << check.detail;
  }
}

TEST(SendingPathChecks, DnssecRoot) {
  const auto timeout = answer("", RrType::dnskey, DnsOutcome::timeout);
  auto reached = answer(".", RrType::dnskey, DnsOutcome::ok);
  reached.secure = true;
  EXPECT_EQ(check_root(true, false, reached).status, CheckStatus::pass);
  const auto unreachable = check_root(true, false, timeout);
  EXPECT_EQ(unreachable.status, CheckStatus::fail);
  EXPECT_EQ(unreachable.detail,
            "the validator cannot reach the root: set dns.forwarders or dns.dnssec = false (. "
            "DNSKEY: timeout)");
  EXPECT_EQ(check_root(true, true, timeout).status, CheckStatus::fail);
  EXPECT_EQ(check_root(false, false, timeout).status, CheckStatus::warn);
  EXPECT_EQ(check_root(true, false, answer(".", RrType::dnskey, DnsOutcome::servfail)).status,
            CheckStatus::fail);
}

TEST(DoctorReport, TextAndJson) {
  const std::vector<Check> checks{
      {"ptr", "127.0.0.9", CheckStatus::pass, "fine"},
      {"dmarc", "example.org", CheckStatus::warn, "no \"record\""},
  };
  EXPECT_FALSE(any_failed(checks));
  EXPECT_EQ(render_text(checks),
            "PASS  ptr 127.0.0.9: fine\nWARN  dmarc example.org: no \"record\"\nresult: pass\n");
  EXPECT_EQ(render_json(checks),
            "{\"checks\":[{\"check\":\"ptr\",\"subject\":\"127.0.0.9\",\"status\":\"pass\","
            "\"detail\":\"fine\"},{\"check\":\"dmarc\",\"subject\":\"example.org\",\"status\":"
            "\"warn\",\"detail\":\"no \\\"record\\\"\"}],\"result\":\"pass\"}\n");
  auto failed = checks;
  failed.push_back({"spf", "example.org", CheckStatus::fail, "no"});
  EXPECT_TRUE(any_failed(failed));
  EXPECT_TRUE(render_text(failed).ends_with("FAIL  spf example.org: no\nresult: fail\n"));
}

}  // namespace
}  // namespace mxrelay::mta::doctor
