// tests/mta/doctor: check_host() over a table of DNS answers: each mechanism, qualifiers,
// include and redirect, the results none/temperror/permerror, and the 10-lookup and
// 2-void-lookup limits.
#include "mta/doctor/spf_evaluator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mxrelay::mta::doctor {
namespace {

using resolver::DnsAnswer;
using resolver::DnsOutcome;
using resolver::RrType;

// A zone as a table: (name, type) to an answer; anything else is NXDOMAIN.
class Zone {
 public:
  Zone& txt(const std::string& name, std::vector<std::string> texts) {
    answer(name, RrType::txt).texts = std::move(texts);
    return *this;
  }
  Zone& address(const std::string& name, const std::string& text) {
    const auto ip = *core::IpAddress::parse(text);
    answer(name, ip.is_v6() ? RrType::aaaa : RrType::a).addresses.push_back(ip);
    return *this;
  }
  Zone& mx(const std::string& name, const std::string& exchange) {
    answer(name, RrType::mx).mx.push_back({10, exchange});
    return *this;
  }
  Zone& ptr(const std::string& name, const std::string& target) {
    answer(name, RrType::ptr).names.push_back(target);
    return *this;
  }
  Zone& fail(const std::string& name, RrType type, DnsOutcome outcome) {
    answer(name, type).outcome = outcome;
    return *this;
  }

  SpfLookup lookup() const {
    return [this](const std::string& name, RrType type) {
      if (auto it = answers_.find({name, type}); it != answers_.end()) return it->second;
      DnsAnswer answer;
      answer.qname = name;
      answer.qtype = type;
      answer.outcome = DnsOutcome::nxdomain;
      return answer;
    };
  }

 private:
  DnsAnswer& answer(const std::string& name, RrType type) {
    auto& answer = answers_[{name, type}];
    answer.qname = name;
    answer.qtype = type;
    if (answer.outcome == DnsOutcome::error) answer.outcome = DnsOutcome::ok;
    return answer;
  }

  std::map<std::pair<std::string, RrType>, DnsAnswer> answers_;
};

SpfVerdict check(const Zone& zone, const std::string& ip,
                 const std::string& domain = "example.org") {
  return evaluate_spf(SpfQuery{*core::IpAddress::parse(ip), domain, "", "mx.example.org"},
                      zone.lookup());
}

TEST(SpfEvaluator, Mechanisms) {
  Zone zone;
  zone.txt("example.org", {"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx -all"})
      .address("example.org", "198.51.100.1")
      .mx("example.org", "mail.example.org")
      .address("mail.example.org", "198.51.100.25");
  struct Row {
    const char* ip;
    SpfResult result;
    const char* reason;
  };
  for (const auto& row : std::vector<Row>{
           {"192.0.2.9", SpfResult::pass, "matched ip4:192.0.2.0/24"},
           {"2001:db8::5", SpfResult::pass, "matched ip6:2001:db8::/32"},
           {"198.51.100.1", SpfResult::pass, "matched a"},
           {"198.51.100.25", SpfResult::pass, "matched mx"},
           {"203.0.113.1", SpfResult::fail, "matched -all"},
       }) {
    const auto verdict = check(zone, row.ip);
    EXPECT_EQ(verdict.result, row.result) << row.ip << ": " << verdict.reason;
    EXPECT_EQ(verdict.reason, row.reason) << row.ip;
    EXPECT_EQ(verdict.record, "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx -all");
  }
}

TEST(SpfEvaluator, QualifiersAndRecordSelection) {
  struct Row {
    std::vector<std::string> texts;
    SpfResult result;
  };
  for (const auto& row : std::vector<Row>{
           {{"v=spf1 ~all"}, SpfResult::softfail},
           {{"v=spf1 ?all"}, SpfResult::neutral},
           {{"v=spf1 +all"}, SpfResult::pass},
           {{"v=spf1"}, SpfResult::neutral},
           {{"v=spf1 a/24 -all"}, SpfResult::fail},
           {{"google-site-verification=x"}, SpfResult::none},
           {{"v=spf1 -all", "v=spf1 +all"}, SpfResult::permerror},
           {{"v=spf1 bogus -all"}, SpfResult::permerror},
           {{"v=spf1 -ip4:192.0.2.1 +all"}, SpfResult::fail},
       }) {
    Zone zone;
    zone.txt("example.org", row.texts).address("example.org", "192.0.3.1");
    EXPECT_EQ(check(zone, "192.0.2.1").result, row.result) << row.texts.front();
  }
  EXPECT_EQ(check(Zone(), "192.0.2.1").result, SpfResult::none);
  EXPECT_EQ(check(Zone(), "192.0.2.1", "localhost").result, SpfResult::none);
  Zone broken;
  broken.fail("example.org", RrType::txt, DnsOutcome::servfail);
  EXPECT_EQ(check(broken, "192.0.2.1").result, SpfResult::temperror);
}

TEST(SpfEvaluator, IncludeAndRedirect) {
  Zone zone;
  zone.txt("example.org", {"v=spf1 include:_spf.provider.example -all"})
      .txt("_spf.provider.example", {"v=spf1 ip4:192.0.2.0/28 ~all"})
      .txt("redirected.example", {"v=spf1 redirect=_spf.provider.example"})
      .txt("missing-include.example", {"v=spf1 include:nothing.example -all"})
      .txt("missing-redirect.example", {"v=spf1 redirect=nothing.example"})
      .txt("temp-include.example", {"v=spf1 include:down.example -all"})
      .fail("down.example", RrType::txt, DnsOutcome::timeout);
  struct Row {
    const char* domain;
    const char* ip;
    SpfResult result;
  };
  for (const auto& row : std::vector<Row>{
           {"example.org", "192.0.2.3", SpfResult::pass},
           {"example.org", "192.0.2.99", SpfResult::fail},  // include's ~all is no match
           {"redirected.example", "192.0.2.3", SpfResult::pass},
           {"redirected.example", "192.0.2.99", SpfResult::softfail},
           {"missing-include.example", "192.0.2.3", SpfResult::permerror},
           {"missing-redirect.example", "192.0.2.3", SpfResult::permerror},
           {"temp-include.example", "192.0.2.3", SpfResult::temperror},
       }) {
    const auto verdict = check(zone, row.ip, row.domain);
    EXPECT_EQ(verdict.result, row.result) << row.domain << " " << row.ip << ": " << verdict.reason;
  }
}

TEST(SpfEvaluator, LookupLimit) {
  Zone zone;
  std::string record = "v=spf1";
  for (int i = 0; i < 10; ++i) {
    record += " a:h" + std::to_string(i) + ".example.org";
    zone.address("h" + std::to_string(i) + ".example.org", "198.51.100.1");
  }
  zone.txt("ten.example.org", {record + " -all"});
  zone.txt("eleven.example.org", {record + " a:h0.example.org -all"});
  const auto ten = check(zone, "192.0.2.1", "ten.example.org");
  EXPECT_EQ(ten.result, SpfResult::fail) << ten.reason;
  EXPECT_EQ(ten.dns_lookups, 10u);
  const auto eleven = check(zone, "192.0.2.1", "eleven.example.org");
  EXPECT_EQ(eleven.result, SpfResult::permerror);
  EXPECT_EQ(eleven.reason, "more than 10 DNS lookups");
  // Nested includes count too; ip4 and all never do.
  Zone loop;
  loop.txt("example.org", {"v=spf1 ip4:192.0.2.1 include:example.org -all"});
  EXPECT_EQ(check(loop, "192.0.2.2").result, SpfResult::permerror);
  EXPECT_EQ(check(loop, "192.0.2.1").result, SpfResult::pass);
}

TEST(SpfEvaluator, VoidLookupLimit) {
  Zone zone;
  zone.txt("two.example.org", {"v=spf1 a:gone1.example.org a:gone2.example.org -all"})
      .txt("three.example.org",
           {"v=spf1 a:gone1.example.org a:gone2.example.org exists:gone3.example.org -all"});
  EXPECT_EQ(check(zone, "192.0.2.1", "two.example.org").result, SpfResult::fail);
  const auto three = check(zone, "192.0.2.1", "three.example.org");
  EXPECT_EQ(three.result, SpfResult::permerror);
  EXPECT_EQ(three.reason, "more than 2 void lookups");
}

TEST(SpfEvaluator, MacrosExistsAndPtr) {
  Zone zone;
  zone.txt("example.org", {"v=spf1 exists:%{ir}.%{l}.allow.example.org ptr:Example.ORG. -all"})
      .address("1.2.0.192.postmaster.allow.example.org", "127.0.0.2")
      .ptr("5.2.0.192.in-addr.arpa", "mail.example.org")
      .address("mail.example.org", "192.0.2.5")
      .ptr("6.2.0.192.in-addr.arpa", "liar.example.org")
      .txt("unsupported.example.org", {"v=spf1 exists:%{p}.example.org -all"});
  EXPECT_EQ(check(zone, "192.0.2.1").result, SpfResult::pass);
  EXPECT_EQ(check(zone, "192.0.2.5").result, SpfResult::pass);  // validated PTR name
  EXPECT_EQ(check(zone, "192.0.2.6").result, SpfResult::fail);  // the name does not resolve back
  const auto unsupported = check(zone, "192.0.2.1", "unsupported.example.org");
  EXPECT_EQ(unsupported.result, SpfResult::permerror);
  EXPECT_NE(unsupported.reason.find("\"p\" is not supported"), std::string::npos);
}

TEST(SpfEvaluator, TemporaryErrorsInMechanisms) {
  Zone zone;
  zone.txt("example.org", {"v=spf1 a:down.example.org -all"})
      .fail("down.example.org", RrType::a, DnsOutcome::servfail);
  EXPECT_EQ(check(zone, "192.0.2.1").result, SpfResult::temperror);
}

}  // namespace
}  // namespace mxrelay::mta::doctor
