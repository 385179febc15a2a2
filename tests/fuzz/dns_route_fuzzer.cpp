// tests/fuzz: DNS answers to a route (resolver/answer_decoding, rdata, next_hop_policy): the
// RDATA of MX, A, AAAA, TLSA and TXT records and the CNAME target as a resolver hands them over,
// with any rcode and flags, through the two policy steps. The input's first octet picks the
// MX answer's rcode and flags and the IP version; then records follow as [kind][length][rdata].
// Properties, the RFC 5321 section 5 rules: a temporary DNS failure defers, NXDOMAIN bounces,
// MX records present never mean the implicit MX, a single null MX bounces with 5.1.10;
// candidates are delivery addresses of the planned hosts, distinct and within the limit;
// every name is printable ASCII.
#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "resolver/answer_decoding.hpp"
#include "resolver/next_hop_policy.hpp"

namespace {

using mxrelay::fuzz::require;
using namespace mxrelay::resolver;
using Bytes = std::span<const std::uint8_t>;

bool printable(std::string_view name) {
  for (unsigned char c : name)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

DnsAnswer question(std::string name, RrType type) {
  DnsAnswer answer;
  answer.qname = std::move(name);
  answer.qtype = type;
  return answer;
}

struct Records {
  RawAnswer mx;
  std::vector<std::pair<std::size_t, Bytes>> a, aaaa;  // host index, rdata
  std::vector<Bytes> tlsa;
  std::string canonname;
};

Records split(std::uint8_t flags, Bytes input) {
  Records records;
  static constexpr int kRcodes[] = {0, 0, 0, 0, 2, 3, 5, 0};
  records.mx.rcode = kRcodes[(flags >> 3) & 7];
  records.mx.bogus = ((flags >> 3) & 7) == 7;
  while (input.size() >= 2) {
    const std::uint8_t kind = input[0];
    const std::size_t length = std::min<std::size_t>(input[1], input.size() - 2);
    const Bytes rdata = input.subspan(2, length);
    input = input.subspan(2 + length);
    switch (kind & 7) {
      case 0:
      case 1:
      case 2:
      case 3:
        records.mx.records.push_back(rdata);
        break;
      case 4:
        records.a.emplace_back(kind >> 3, rdata);
        break;
      case 5:
        records.aaaa.emplace_back(kind >> 3, rdata);
        break;
      case 6:
        records.tlsa.push_back(rdata);
        break;
      default:
        records.canonname.assign(rdata.begin(), rdata.end());
        break;
    }
  }
  records.mx.havedata = !records.mx.records.empty();
  if (!records.canonname.empty()) records.mx.canonname = records.canonname;
  return records;
}

DnsAnswer address_answer(const MxHost& host, std::size_t index, RrType type,
                         const std::vector<std::pair<std::size_t, Bytes>>& all,
                         std::size_t host_count) {
  RawAnswer raw;
  for (const auto& [owner, rdata] : all)
    if (owner % host_count == index) raw.records.push_back(rdata);
  raw.havedata = !raw.records.empty();
  DnsAnswer answer = question(host.name, type);
  std::vector<TlsaRecord> unused;
  decode_answer(raw, answer, unused);
  return answer;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t flags = data[0];
  auto records = split(flags, Bytes(data + 1, size - 1));

  PolicyContext context;
  context.ip_version = static_cast<mxrelay::conf::IpVersion>((flags & 7) % 5);
  context.max_addresses = 3;
  context.own_names = {"relay.fuzz.example"};

  DnsAnswer mx = question("fuzz.example", RrType::mx);
  std::vector<TlsaRecord> tlsa;
  decode_answer(records.mx, mx, tlsa);
  require(printable(mx.canonical_name), "a canonical name is printable ASCII");
  for (const auto& record : mx.mx) require(printable(record.exchange), "an MX host is printable");

  RawAnswer tlsa_raw;
  tlsa_raw.havedata = !records.tlsa.empty();
  tlsa_raw.records = records.tlsa;
  DnsAnswer tlsa_answer = question("_25._tcp.mx.fuzz.example", RrType::tlsa);
  decode_answer(tlsa_raw, tlsa_answer, tlsa);
  for (const auto& record : tlsa) require(record.data.size() < 256, "TLSA data lies in its RDATA");
  DnsAnswer txt = question("sel._domainkey.fuzz.example", RrType::txt);
  decode_answer(tlsa_raw, txt, tlsa);
  for (const auto& text : txt.texts) require(text.size() < 256, "TXT strings lie in their RDATA");

  RandomSource random(data[0]);
  const auto plan = plan_mx_hosts("fuzz.example", mx, context, random);
  if (is_temporary(mx.outcome))
    require(!plan && plan.error().kind == mxrelay::core::Failure::Kind::temporary,
            "a temporary DNS failure defers");
  if (mx.outcome == DnsOutcome::nxdomain)
    require(!plan && plan.error().kind == mxrelay::core::Failure::Kind::permanent,
            "NXDOMAIN bounces");
  if (mx.outcome == DnsOutcome::ok && mx.mx.size() == 1 && mx.mx[0].exchange.empty())
    require(!plan && plan.error().reply_code == 556, "a null MX bounces with 556");
  if (!plan) return 0;
  if (mx.outcome == DnsOutcome::ok && !mx.mx.empty())
    require(plan->source == HostSource::mx, "MX records present never mean the implicit MX");

  std::vector<DnsAnswer> answers;
  for (std::size_t i = 0; i < plan->hosts.size(); ++i) {
    answers.push_back(address_answer(plan->hosts[i], i, RrType::a, records.a, plan->hosts.size()));
    answers.push_back(
        address_answer(plan->hosts[i], i, RrType::aaaa, records.aaaa, plan->hosts.size()));
  }
  std::vector<std::string> notes;
  const auto route = choose_candidates(*plan, answers, context, random, notes);
  if (!route) return 0;
  require(!route->empty() && route->size() <= context.max_addresses,
          "a route has 1..max_addresses candidates");
  std::set<mxrelay::core::IpAddress> seen;
  for (const auto& candidate : *route) {
    require(*candidate.address.not_a_destination() == '\0', "a candidate is a delivery address");
    require(seen.insert(candidate.address).second, "candidates are distinct addresses");
    bool planned = false;
    for (const auto& host : plan->hosts) planned = planned || host.name == candidate.host;
    require(planned, "a candidate belongs to a planned host");
  }
  return 0;
}
