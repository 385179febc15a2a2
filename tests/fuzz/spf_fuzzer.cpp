// tests/fuzz: SPF evaluation (mta/doctor) over hostile records: the input is NUL-separated TXT
// texts, the first published at the domain checked and the others at d1.fuzz.example,
// d2.fuzz.example, ...; every name has the A record 192.0.2.1, an MX d1.fuzz.example and a
// PTR d1.fuzz.example, so include, redirect, a, mx, ptr and exists all find something.
// Properties: evaluation ends within the lookup limits (at most 10 counted lookups, a bounded
// number of queries in all), its result is one of the seven, and every term that parses
// expands (or fails with a message) to at most 253 octets when it has a dot to cut at.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "mta/doctor/spf_evaluator.hpp"
#include "mta/doctor/spf_macro.hpp"
#include "mta/doctor/spf_record.hpp"

namespace {

using mxrelay::fuzz::require;
using namespace mxrelay::mta::doctor;
using mxrelay::resolver::DnsAnswer;
using mxrelay::resolver::DnsOutcome;
using mxrelay::resolver::RrType;

// 10 counted terms, each at most 1 + 10 queries (mx, ptr), plus the TXT lookups.
constexpr unsigned kMaxQueries = 11 * 11 + 11;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto texts = mxrelay::fuzz::split_at_nul(mxrelay::fuzz::as_text(data, size));
  unsigned queries = 0;
  const SpfLookup lookup = [&](const std::string& name, RrType type) {
    ++queries;
    DnsAnswer answer;
    answer.qname = name;
    answer.qtype = type;
    answer.outcome = DnsOutcome::ok;
    if (type == RrType::txt) {
      std::size_t index = name == "fuzz.example" ? 0 : texts.size();
      if (name.size() > 14 && name.starts_with("d") && name.ends_with(".fuzz.example"))
        index = static_cast<std::size_t>(std::strtoul(name.c_str() + 1, nullptr, 10));
      if (index < texts.size())
        answer.texts.push_back(texts[index]);
      else
        answer.outcome = DnsOutcome::nxdomain;
    } else if (type == RrType::a) {
      answer.addresses.push_back(*mxrelay::core::IpAddress::parse("192.0.2.1"));
    } else if (type == RrType::mx) {
      answer.mx.push_back({10, "d1.fuzz.example"});
    } else if (type == RrType::ptr) {
      answer.names.push_back("d1.fuzz.example");
    } else {
      answer.outcome = DnsOutcome::nodata;
    }
    return answer;
  };
  const auto ip = *mxrelay::core::IpAddress::parse(texts.size() % 2 ? "192.0.2.1" : "2001:db8::1");
  const auto verdict = evaluate_spf(SpfQuery{ip, "fuzz.example", "", "helo.fuzz.example"}, lookup);
  require(verdict.dns_lookups <= kSpfMaxDnsLookups + 1, "at most one lookup past the limit");
  require(queries <= kMaxQueries, "a bounded number of queries");
  require(static_cast<int>(verdict.result) <= static_cast<int>(SpfResult::permerror),
          "one of the seven results");
  if (auto record = parse_spf_record(texts.front())) {
    const SpfMacroContext context{"a@fuzz.example", "fuzz.example", ip, "helo.fuzz.example"};
    for (const auto& mechanism : record->mechanisms) {
      const auto expanded = expand_spf_macros(mechanism.domain_spec, context);
      require(!expanded || expanded->size() <= 253 || expanded->find('.') == std::string::npos,
              "an expanded domain-spec is cut to 253 octets");
      require(expanded || !expanded.error().empty(), "a refused macro says why");
    }
  }
  return 0;
}
