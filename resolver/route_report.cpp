// resolver: text and JSON rendering of route explanations.
#include "route_report.hpp"

#include <boost/json.hpp>

namespace mxrelay::resolver {

namespace {

std::string security_text(const DnsAnswer& answer) {
  if (answer.bogus) return answer.why_bogus.empty() ? "bogus" : "bogus (" + answer.why_bogus + ")";
  return answer.secure ? "secure" : "insecure";
}

std::string query_line(const DnsAnswer& answer) {
  std::string line = "  " + answer.qname + " " + to_string(answer.qtype) + ": " +
                     to_string(answer.outcome) + " rcode=" + std::to_string(answer.rcode) +
                     " ttl=" + std::to_string(answer.ttl) +
                     " records=" + std::to_string(answer.record_count()) +
                     " bytes=" + std::to_string(answer.answer_bytes) + " " + security_text(answer) +
                     " via " + answer.resolver_path;
  if (!answer.canonical_name.empty() && answer.canonical_name != answer.qname)
    line += " cname=" + answer.canonical_name;
  if (!answer.error_text.empty()) line += " error=\"" + answer.error_text + "\"";
  return line + "\n";
}

std::string record_lines(const DnsAnswer& answer) {
  std::string out;
  for (const auto& record : answer.mx)
    out += "    MX " + std::to_string(record.preference) + " " +
           (record.exchange.empty() ? "." : record.exchange) + "\n";
  for (const auto& address : answer.addresses) out += "    " + address.str() + "\n";
  return out;
}

std::string endpoint_text(const Candidate& candidate) {
  auto address = candidate.address.str();
  if (candidate.address.is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(candidate.port);
}

boost::json::object query_json(const DnsAnswer& answer) {
  boost::json::array mx;
  for (const auto& record : answer.mx)
    mx.push_back({{"preference", record.preference},
                  {"exchange", record.exchange.empty() ? "." : record.exchange}});
  boost::json::array addresses;
  for (const auto& address : answer.addresses)
    addresses.push_back(boost::json::string(address.str()));
  return {{"name", answer.qname},
          {"type", to_string(answer.qtype)},
          {"outcome", to_string(answer.outcome)},
          {"rcode", answer.rcode},
          {"ttl", answer.ttl},
          {"records", answer.record_count()},
          {"answer_bytes", answer.answer_bytes},
          {"secure", answer.secure},
          {"bogus", answer.bogus},
          {"why_bogus", answer.why_bogus},
          {"canonical_name", answer.canonical_name},
          {"resolver_path", answer.resolver_path},
          {"error", answer.error_text},
          {"mx", std::move(mx)},
          {"addresses", std::move(addresses)}};
}

}  // namespace

const char* verdict_name(const RouteResult& result) {
  if (result) return "deliver";
  return result.error().is_permanent() ? "bounce" : "defer";
}

std::string render_route_text(const RouteExplanation& explanation) {
  std::string out = "route for " + explanation.domain;
  if (!explanation.a_label.empty()) out += " (A-label " + explanation.a_label + ")";
  if (!explanation.u_label.empty()) out += " (U-label " + explanation.u_label + ")";
  out += "\n";
  if (!explanation.transport.empty())
    out += "transport: " + explanation.transport +
           (explanation.transport_entry.empty() ? "" : " (" + explanation.transport_entry + ")") +
           "\n";
  if (!explanation.tls.empty())
    out += "tls: " + explanation.tls + (explanation.implicit_tls ? " (implicit TLS)" : "") + "\n";
  if (explanation.auth)
    out += "auth: user \"" + explanation.auth->username + "\" from [auth." +
           explanation.auth->table + "]; credentials are sent only over TLS\n";
  out += "lookup: " + explanation.lookup_name + (explanation.implicit_mx ? " (implicit MX)" : "") +
         "\n";
  out += "queries:\n";
  for (const auto& answer : explanation.queries) {
    out += query_line(answer);
    if (answer.qtype == RrType::mx) out += record_lines(answer);
  }
  if (!explanation.notes.empty()) out += "notes:\n";
  for (const auto& note : explanation.notes) out += "  - " + note + "\n";
  if (explanation.result) {
    out += "candidates:\n";
    int position = 0;
    for (const auto& candidate : *explanation.result)
      out += "  " + std::to_string(++position) + ". " + candidate.host + " preference " +
             std::to_string(candidate.preference) + " " + endpoint_text(candidate) + "\n";
    out += "verdict: deliver\n";
  } else {
    out += std::string("verdict: ") + verdict_name(explanation.result) + " " +
           explanation.result.error().str() + "\n";
  }
  return out;
}

std::string render_route_json(const RouteExplanation& explanation) {
  boost::json::array queries;
  for (const auto& answer : explanation.queries) queries.push_back(query_json(answer));
  boost::json::array notes;
  for (const auto& note : explanation.notes) notes.push_back(boost::json::string(note));
  boost::json::array candidates;
  boost::json::object verdict{{"action", verdict_name(explanation.result)}};
  if (explanation.result) {
    for (const auto& candidate : *explanation.result)
      candidates.push_back({{"host", candidate.host},
                            {"preference", candidate.preference},
                            {"address", candidate.address.str()},
                            {"port", candidate.port}});
  } else {
    const auto& failure = explanation.result.error();
    verdict["code"] = failure.reply_code;
    verdict["status"] = failure.status.str();
    verdict["reason"] = failure.reason;
  }
  boost::json::value auth = nullptr;
  if (explanation.auth)
    auth = boost::json::object{{"table", explanation.auth->table},
                               {"username", explanation.auth->username},
                               {"tls_required", true}};
  boost::json::object root{{"domain", explanation.domain},
                           {"domain_a_label", explanation.a_label},
                           {"domain_u_label", explanation.u_label},
                           {"transport", explanation.transport},
                           {"tls", explanation.tls},
                           {"implicit_tls", explanation.implicit_tls},
                           {"auth", std::move(auth)},
                           {"transport_entry", explanation.transport_entry},
                           {"lookup_name", explanation.lookup_name},
                           {"implicit_mx", explanation.implicit_mx},
                           {"queries", std::move(queries)},
                           {"notes", std::move(notes)},
                           {"candidates", std::move(candidates)},
                           {"verdict", std::move(verdict)}};
  return boost::json::serialize(root);
}

}  // namespace mxrelay::resolver
