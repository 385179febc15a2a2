// mta/doctor: check_source(), check_spf(), check_dkim(), check_dmarc(), check_root().
#include "mta/doctor/sending_path_checks.hpp"

#include <algorithm>

#include "mta/doctor/dmarc_record.hpp"

namespace mxrelay::mta::doctor {

namespace {

using resolver::DnsAnswer;
using resolver::DnsOutcome;

std::string lookup_failure(const DnsAnswer& answer) {
  std::string text = (answer.qname.empty() ? "." : answer.qname) + " " +
                     resolver::to_string(answer.qtype) + ": " + resolver::to_string(answer.outcome);
  if (!answer.error_text.empty()) text += " (" + answer.error_text + ")";
  return text;
}

bool has_address(const DnsAnswer& answer, const core::IpAddress& address) {
  return std::ranges::find(answer.addresses, address) != answer.addresses.end();
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

Check fcrdns(const SourceFacts& facts, const std::string& subject) {
  std::vector<std::string> matching;
  for (const auto& [name, answer] : facts.ptr_forward)
    if (has_address(answer, facts.address)) matching.push_back(name);
  if (!matching.empty())
    return {"fcrdns", subject, CheckStatus::pass,
            joined(matching) + " resolves back to " + subject};
  return {"fcrdns", subject, CheckStatus::fail,
          "no PTR name (" + joined(facts.ptr.names) + ") resolves back to " + subject +
              ": add an A/AAAA record or fix the PTR"};
}

Check helo(const SourceFacts& facts, const std::string& subject) {
  const auto& answer = facts.helo_addresses;
  if (facts.helo_name.empty())
    return {"helo", subject, CheckStatus::fail,
            "no HELO name: set delivery.helo_name or server.hostname"};
  if (has_address(answer, facts.address))
    return {"helo", subject, CheckStatus::pass, facts.helo_name + " resolves to " + subject};
  if (resolver::is_temporary(answer.outcome))
    return {"helo", subject, CheckStatus::fail, "cannot tell: " + lookup_failure(answer)};
  std::string found;
  for (const auto& address : answer.addresses) found += (found.empty() ? "" : ", ") + address.str();
  return {"helo", subject, CheckStatus::fail,
          "HELO name " + facts.helo_name + " does not resolve to " + subject + " (" +
              (found.empty() ? std::string(resolver::to_string(answer.outcome)) : found) +
              "): set delivery.helo_name to the PTR name or publish its address"};
}

}  // namespace

const char* to_string(CheckStatus status) {
  switch (status) {
    case CheckStatus::pass:
      return "pass";
    case CheckStatus::warn:
      return "warn";
    case CheckStatus::fail:
      return "fail";
  }
  return "fail";
}

std::vector<Check> check_source(const SourceFacts& facts) {
  const std::string subject = facts.address.str();
  std::vector<Check> checks;
  const auto& ptr = facts.ptr;
  if (ptr.outcome == DnsOutcome::ok && !ptr.names.empty()) {
    checks.push_back({"ptr", subject, CheckStatus::pass,
                      ptr.qname + " PTR " + joined(ptr.names) + " (" + facts.origin + ")"});
    checks.push_back(fcrdns(facts, subject));
  } else if (resolver::is_temporary(ptr.outcome)) {
    checks.push_back({"ptr", subject, CheckStatus::fail, "cannot tell: " + lookup_failure(ptr)});
  } else {
    checks.push_back({"ptr", subject, CheckStatus::fail,
                      "no PTR record at " + ptr.qname + " (" + resolver::to_string(ptr.outcome) +
                          "): ask whoever owns " + subject + " to publish one"});
  }
  checks.push_back(helo(facts, subject));
  return checks;
}

Check check_spf(const std::string& domain, const core::IpAddress& address,
                const SpfVerdict& verdict) {
  const std::string subject = domain;
  const std::string record =
      verdict.record.empty() ? std::string() : ", record \"" + verdict.record + "\"";
  const std::string result = std::string("(result ") + to_string(verdict.result) + record + ")";
  switch (verdict.result) {
    case SpfResult::pass:
      return {"spf", subject, CheckStatus::pass,
              address.str() + " is authorised: " + verdict.reason + " " + result};
    case SpfResult::none:
      return {"spf", subject, CheckStatus::warn,
              "no SPF record: receivers cannot tell whether " + address.str() + " may send"};
    case SpfResult::neutral:
      return {
          "spf", subject, CheckStatus::warn,
          address.str() + " is neither authorised nor refused: " + verdict.reason + " " + result};
    case SpfResult::temperror:
      return {"spf", subject, CheckStatus::fail, "cannot tell: " + verdict.reason + " " + result};
    case SpfResult::permerror:
      return {"spf", subject, CheckStatus::fail,
              "the record is broken: " + verdict.reason + " " + result};
    default:
      return {"spf", subject, CheckStatus::fail,
              address.str() + " is not authorised (" + verdict.reason + ") " + result};
  }
}

Check check_dkim(const DkimFacts& facts) {
  const std::string subject = facts.domain;
  if (!facts.verdict)
    return {"dkim", subject, CheckStatus::fail, facts.record_name + ": " + facts.key_error};
  if (resolver::is_temporary(facts.answer.outcome))
    return {"dkim", subject, CheckStatus::fail, "cannot tell: " + lookup_failure(facts.answer)};
  const auto status =
      *facts.verdict == dkim::RecordVerdict::matches ? CheckStatus::pass : CheckStatus::fail;
  return {"dkim", subject, status, facts.record_name + ": " + dkim::describe(*facts.verdict)};
}

Check check_dmarc(const std::string& domain, const DnsAnswer& answer) {
  if (resolver::is_temporary(answer.outcome))
    return {"dmarc", domain, CheckStatus::fail, "cannot tell: " + lookup_failure(answer)};
  std::vector<std::string> records;
  for (const auto& text : answer.texts)
    if (is_dmarc_record(text)) records.push_back(text);
  if (records.empty())
    return {"dmarc", domain, CheckStatus::warn,
            "no DMARC record at _dmarc." + domain + ": receivers apply their own policy"};
  if (records.size() > 1)
    return {"dmarc", domain, CheckStatus::fail,
            "more than one DMARC record at _dmarc." + domain + ": receivers ignore them all"};
  const auto record = parse_dmarc_record(records.front());
  if (!record)
    return {"dmarc", domain, CheckStatus::fail,
            "_dmarc." + domain + ": " + record.error() + " (record \"" + records.front() + "\")"};
  std::string detail = "p=" + record->policy;
  if (!record->subdomain_policy.empty()) detail += " sp=" + record->subdomain_policy;
  detail += std::string(" adkim=") + record->adkim + " aspf=" + record->aspf +
            " pct=" + std::to_string(record->pct);
  detail += record->rua.empty() ? " (no rua: no aggregate reports)" : " rua=" + joined(record->rua);
  if (record->policy == "none")
    detail += "; note: p=none only monitors, receivers deliver what fails DMARC";
  return {"dmarc", domain, CheckStatus::pass, detail};
}

Check check_root(bool dnssec, bool forwarders, const DnsAnswer& root_dnskey) {
  if (!dnssec)
    return {"dnssec", ".", CheckStatus::warn, "DNSSEC validation is off (dns.dnssec = false)"};
  if (!resolver::is_temporary(root_dnskey.outcome))
    return {"dnssec", ".", CheckStatus::pass,
            std::string("the validator reaches the root: . DNSKEY ") +
                resolver::to_string(root_dnskey.outcome) + (root_dnskey.secure ? " (secure)" : "") +
                " via " + root_dnskey.resolver_path};
  if (!forwarders)
    return {"dnssec", ".", CheckStatus::fail,
            "the validator cannot reach the root: set dns.forwarders or dns.dnssec = false (" +
                lookup_failure(root_dnskey) + ")"};
  return {"dnssec", ".", CheckStatus::fail,
          "the forwarders do not answer for the root (" + lookup_failure(root_dnskey) +
              "): check dns.forwarders"};
}

}  // namespace mxrelay::mta::doctor
