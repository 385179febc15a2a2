// resolver: building, judging and rendering the side-by-side route comparison.
#include "route_comparison.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <cassert>
#include <utility>

#include "conf/resolver_server.hpp"
#include "core/domain_name.hpp"
#include "route_report.hpp"
#include "unbound_client.hpp"

namespace mxrelay::resolver {

namespace {

using Cell = std::vector<std::string>;
using Kind = ComparisonRow::Kind;

const Cell kNotAsked{"(not asked)"};

// The stub whose zone is the longest suffix of name, as libunbound chooses; null for none.
conf::DnsStub* covering_stub(conf::DnsConfig& dns, std::string_view name) {
  auto canonical = core::canonical_domain(name);
  conf::DnsStub* best = nullptr;
  std::size_t best_length = 0;
  for (auto& stub : dns.stubs) {
    auto zone = core::canonical_domain(stub.zone);
    bool inside = zone.empty() || canonical == zone || canonical.ends_with("." + zone);
    if (inside && (best == nullptr || zone.size() > best_length)) {
      best = &stub;
      best_length = zone.size();
    }
  }
  return best;
}

std::expected<ResolverPathConfig, std::string> via_path(const conf::DnsConfig& dns,
                                                        const std::string& via) {
  ResolverPathConfig path{"via " + via, dns};
  path.dns.stubs.clear();
  path.dns.forwarders.clear();
  if (via == "recursion") return path;
  auto server = conf::parse_resolver_server(via);
  if (!server)
    return std::unexpected("--via " + via + ": not an IPv4 or IPv6 address with an optional @port");
  if (!server->port) server->port = 53;
  path.path = "via " + server->str();
  path.dns.forwarders = {server->str()};
  return path;
}

struct QueryKey {
  std::string name;
  RrType type;
  bool operator==(const QueryKey&) const = default;
};

// Every (name, type) asked by any path, in the order they were first asked.
std::vector<QueryKey> asked_queries(const std::vector<PathRoute>& routes) {
  std::vector<QueryKey> keys;
  for (const auto& route : routes)
    for (const auto& answer : route.explanation.queries) {
      QueryKey key{answer.qname, answer.qtype};
      if (std::ranges::find(keys, key) == keys.end()) keys.push_back(std::move(key));
    }
  return keys;
}

const DnsAnswer* find_answer(const RouteExplanation& explanation, const QueryKey& key) {
  auto found = std::ranges::find_if(explanation.queries, [&](const DnsAnswer& answer) {
    return answer.qname == key.name && answer.qtype == key.type;
  });
  return found == explanation.queries.end() ? nullptr : &*found;
}

// The records, sorted, so that the same set in another order compares equal.
Cell record_cell(const DnsAnswer& answer) {
  Cell cell;
  auto mx = answer.mx;
  std::ranges::sort(mx, [](const MxRecord& a, const MxRecord& b) {
    return std::tie(a.preference, a.exchange) < std::tie(b.preference, b.exchange);
  });
  for (const auto& record : mx)
    cell.push_back(std::to_string(record.preference) + " " +
                   (record.exchange.empty() ? "." : record.exchange));
  std::vector<std::string> addresses;
  for (const auto& address : answer.addresses) addresses.push_back(address.str());
  std::ranges::sort(addresses);
  cell.insert(cell.end(), addresses.begin(), addresses.end());
  if (cell.empty()) cell.push_back("-");
  return cell;
}

std::string dnssec_text(const DnsAnswer& answer) {
  if (answer.bogus) return "bogus";
  return answer.secure ? "secure" : "insecure";
}

std::string outcome_text(const DnsAnswer& answer) {
  return std::string(to_string(answer.outcome)) + " rcode=" + std::to_string(answer.rcode);
}

Cell verdict_detail(const RouteResult& result) {
  if (result) return {std::to_string(result->size()) + " candidate(s)"};
  return {result.error().str()};
}

// One row from a function of the path's route (or of its answer to one query).
template <typename CellOf>
ComparisonRow make_row(std::string item, Kind kind, const std::vector<PathRoute>& routes,
                       CellOf cell_of) {
  ComparisonRow row{std::move(item), kind, {}};
  for (const auto& route : routes) row.cells.push_back(cell_of(route.explanation));
  return row;
}

void add_query_rows(std::vector<ComparisonRow>& rows, const std::vector<PathRoute>& routes,
                    const QueryKey& key) {
  auto per_answer = [&](auto text_of) {
    return [&key, text_of](const RouteExplanation& explanation) -> Cell {
      const auto* answer = find_answer(explanation, key);
      return answer ? text_of(*answer) : kNotAsked;
    };
  };
  rows.push_back(make_row(key.name + " " + to_string(key.type), Kind::must_agree, routes,
                          per_answer([](const DnsAnswer& a) { return Cell{outcome_text(a)}; })));
  rows.push_back(make_row("  records", Kind::must_agree, routes, per_answer(record_cell)));
  rows.push_back(make_row("  ttl", Kind::informational, routes, per_answer([](const DnsAnswer& a) {
                            return Cell{std::to_string(a.ttl)};
                          })));
  rows.push_back(make_row("  dnssec", Kind::informational, routes,
                          per_answer([](const DnsAnswer& a) { return Cell{dnssec_text(a)}; })));
  rows.push_back(make_row(
      "  bytes", Kind::informational, routes,
      per_answer([](const DnsAnswer& a) { return Cell{std::to_string(a.answer_bytes)}; })));
}

char mark(const ComparisonRow& row) {
  if (!row.differs()) return ' ';
  return row.kind == Kind::must_agree ? '!' : '~';
}

std::string padded(const std::string& text, std::size_t width) {
  return text + std::string(width > text.size() ? width - text.size() : 0, ' ');
}

std::size_t count_differences(const RouteComparison& comparison, Kind kind) {
  return static_cast<std::size_t>(std::ranges::count_if(
      comparison.rows, [&](const auto& row) { return row.kind == kind && row.differs(); }));
}

}  // namespace

std::expected<std::vector<ResolverPathConfig>, std::string> paths_to_compare(
    const conf::DnsConfig& dns, std::string_view name, const std::vector<std::string>& via) {
  std::vector<ResolverPathConfig> paths{{"configured (" + resolver_path_for(dns, name) + ")", dns}};
  if (dns.forwarders.size() > 1)
    for (const auto& forwarder : dns.forwarders) {
      auto alone = dns;
      alone.forwarders = {forwarder};
      paths.push_back({"forwarder " + forwarder, std::move(alone)});
    }
  auto configured = dns;
  if (auto* stub = covering_stub(configured, name); stub && stub->servers.size() > 1)
    for (const auto& server : stub->servers) {
      auto alone = configured;
      covering_stub(alone, name)->servers = {server};
      paths.push_back(
          {"stub " + core::canonical_domain(stub->zone) + " server " + server, std::move(alone)});
    }
  for (const auto& text : via) {
    auto path = via_path(dns, text);
    if (!path) return std::unexpected(path.error());
    paths.push_back(std::move(*path));
  }
  return paths;
}

bool ComparisonRow::differs() const {
  // A query one path did not make is marked on its must_agree rows already.
  std::vector<const Cell*> compared;
  for (const auto& cell : cells)
    if (kind == Kind::must_agree || cell != kNotAsked) compared.push_back(&cell);
  return std::ranges::any_of(compared,
                             [&](const Cell* cell) { return *cell != *compared.front(); });
}

bool RouteComparison::agree() const {
  return std::ranges::none_of(
      rows, [](const ComparisonRow& row) { return row.kind == Kind::must_agree && row.differs(); });
}

int RouteComparison::exit_status() const {
  if (!agree()) return 3;
  if (verdicts.empty() || verdicts.front() == "deliver") return 0;
  return verdicts.front() == "bounce" ? 1 : 75;
}

RouteComparison compare_routes(const std::vector<PathRoute>& routes) {
  assert(!routes.empty());
  RouteComparison comparison;
  comparison.domain = routes.front().explanation.domain;
  for (const auto& route : routes) {
    comparison.paths.push_back(route.path);
    comparison.verdicts.push_back(verdict_name(route.explanation.result));
  }
  for (const auto& key : asked_queries(routes)) add_query_rows(comparison.rows, routes, key);
  comparison.rows.push_back(make_row(
      "verdict", Kind::must_agree, routes,
      [](const RouteExplanation& explanation) { return Cell{verdict_name(explanation.result)}; }));
  comparison.rows.push_back(make_row(
      "  detail", Kind::informational, routes,
      [](const RouteExplanation& explanation) { return verdict_detail(explanation.result); }));
  bool any_notes = std::ranges::any_of(
      routes, [](const PathRoute& route) { return !route.explanation.notes.empty(); });
  if (any_notes)
    comparison.rows.push_back(
        make_row("notes", Kind::informational, routes, [](const RouteExplanation& explanation) {
          return explanation.notes.empty() ? Cell{"-"} : explanation.notes;
        }));
  return comparison;
}

std::string render_comparison_text(const RouteComparison& comparison) {
  std::string out = "route comparison for " + comparison.domain + "\n";
  for (std::size_t i = 0; i < comparison.paths.size(); ++i)
    out += "  [" + std::to_string(i + 1) + "] " + comparison.paths[i] + "\n";
  std::size_t item_width = 0;
  std::vector<std::size_t> widths(comparison.paths.size(), 0);
  for (std::size_t i = 0; i < widths.size(); ++i) widths[i] = std::to_string(i + 1).size() + 2;
  for (const auto& row : comparison.rows) {
    item_width = std::max(item_width, row.item.size());
    for (std::size_t i = 0; i < row.cells.size(); ++i)
      for (const auto& line : row.cells[i]) widths[i] = std::max(widths[i], line.size());
  }
  auto render_line = [&](char marker, const std::string& item, auto column_text) {
    std::string line = std::string(1, marker) + " " + padded(item, item_width);
    for (std::size_t i = 0; i < widths.size(); ++i)
      line += "  " + padded(column_text(i), widths[i]);
    while (line.ends_with(' ')) line.pop_back();
    return line + "\n";
  };
  out += render_line(' ', "", [](std::size_t i) { return "[" + std::to_string(i + 1) + "]"; });
  for (const auto& row : comparison.rows) {
    std::size_t height = 1;
    for (const auto& cell : row.cells) height = std::max(height, cell.size());
    for (std::size_t line = 0; line < height; ++line)
      out +=
          render_line(line == 0 ? mark(row) : ' ', line == 0 ? row.item : "", [&](std::size_t i) {
            return line < row.cells[i].size() ? row.cells[i][line] : std::string();
          });
  }
  auto must = count_differences(comparison, Kind::must_agree);
  auto info = count_differences(comparison, Kind::informational);
  out += comparison.agree()
             ? "result: the resolver paths agree"
             : "result: the resolver paths DISAGREE (" + std::to_string(must) + " row(s) marked !)";
  if (info > 0) out += "; " + std::to_string(info) + " informational difference(s) marked ~";
  return out + "\n";
}

std::string render_comparison_json(const RouteComparison& comparison) {
  boost::json::array paths;
  for (std::size_t i = 0; i < comparison.paths.size(); ++i)
    paths.push_back({{"path", comparison.paths[i]}, {"verdict", comparison.verdicts[i]}});
  boost::json::array rows;
  for (const auto& row : comparison.rows) {
    boost::json::array cells;
    for (const auto& cell : row.cells) {
      boost::json::array lines;
      for (const auto& line : cell) lines.push_back(boost::json::string(line));
      cells.push_back(std::move(lines));
    }
    rows.push_back({{"item", row.item},
                    {"must_agree", row.kind == Kind::must_agree},
                    {"differs", row.differs()},
                    {"cells", std::move(cells)}});
  }
  boost::json::object root{{"domain", comparison.domain},
                           {"paths", std::move(paths)},
                           {"rows", std::move(rows)},
                           {"agree", comparison.agree()},
                           {"exit_status", comparison.exit_status()}};
  return boost::json::serialize(root);
}

}  // namespace mxrelay::resolver
