// resolver: decode_answer().
#include "answer_decoding.hpp"

#include <algorithm>
#include <iterator>

#include "core/domain_name.hpp"
#include "rdata.hpp"

namespace mxrelay::resolver {

namespace {

constexpr int kRcodeNxdomain = 3;

std::string rcode_name(int rcode) {
  static constexpr const char* kNames[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                           "NXDOMAIN", "NOTIMP",  "REFUSED"};
  if (rcode >= 0 && rcode < static_cast<int>(std::size(kNames))) return kNames[rcode];
  return "RCODE " + std::to_string(rcode);
}

bool parse_records(DnsAnswer& answer, std::vector<TlsaRecord>& tlsa, const RawAnswer& raw) {
  for (const auto rdata : raw.records) {
    if (answer.qtype == RrType::mx) {
      auto record = parse_mx_rdata(rdata);
      if (!record) return false;
      answer.mx.push_back(std::move(*record));
    } else if (answer.qtype == RrType::a || answer.qtype == RrType::aaaa) {
      auto address = parse_address_rdata(answer.qtype, rdata);
      if (!address) return false;
      answer.addresses.push_back(*address);
    } else if (answer.qtype == RrType::txt) {
      auto text = parse_txt_rdata(rdata);
      if (!text) return false;
      answer.texts.push_back(std::move(*text));
    } else if (answer.qtype == RrType::ptr) {
      auto name = parse_ptr_rdata(rdata);
      if (!name) return false;
      answer.names.push_back(std::move(*name));
    } else if (answer.qtype == RrType::dnskey) {
      ++answer.other_records;
    } else if (answer.qtype == RrType::tlsa) {
      auto record = parse_tlsa_rdata(rdata);
      if (!record) return false;
      tlsa.push_back(std::move(*record));
    }
  }
  return true;
}

}  // namespace

void decode_answer(const RawAnswer& raw, DnsAnswer& answer, std::vector<TlsaRecord>& tlsa) {
  answer.rcode = raw.rcode;
  answer.ttl = static_cast<std::uint32_t>(std::max(0, raw.ttl));
  answer.secure = raw.secure;
  answer.bogus = raw.bogus;
  answer.why_bogus = escape_unprintable(raw.why_bogus);
  answer.answer_bytes = static_cast<std::size_t>(std::max(0, raw.answer_len));
  answer.canonical_name =
      raw.canonname ? core::canonical_domain(escape_unprintable(*raw.canonname)) : answer.qname;
  if (answer.bogus) {
    answer.outcome = DnsOutcome::bogus;
  } else if (raw.nxdomain || raw.rcode == kRcodeNxdomain) {
    answer.outcome = DnsOutcome::nxdomain;
  } else if (raw.rcode != 0) {
    answer.outcome = DnsOutcome::servfail;
    answer.error_text = rcode_name(raw.rcode);
  } else if (!raw.havedata) {
    answer.outcome = DnsOutcome::nodata;
  } else if (!parse_records(answer, tlsa, raw)) {
    answer.outcome = DnsOutcome::error;
    answer.error_text = "malformed rdata";
    answer.mx.clear();
    answer.addresses.clear();
    answer.texts.clear();
    answer.names.clear();
    answer.other_records = 0;
    tlsa.clear();
  } else {
    answer.outcome = answer.record_count() + tlsa.size() > 0 ? DnsOutcome::ok : DnsOutcome::nodata;
  }
}

}  // namespace mxrelay::resolver
