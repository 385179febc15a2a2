// resolver: `mxrelay route DOMAIN --compare`: the route of one domain as several resolver
// paths see it (the configured resolution, each forwarder alone, each --via server), set
// side by side. Pure: which DNS configurations to ask, then explanations in, a table of
// rows and a verdict on agreement out.
// Rows that must agree: each query's outcome and rcode, its records (MX targets with
// preferences, address sets), and the route verdict. Rows shown for information only: TTLs,
// DNSSEC status, answer sizes, the verdict's detail and the notes.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "route.hpp"

namespace mxrelay::resolver {

// One resolver path to compare: its label and the DNS configuration that takes it.
struct ResolverPathConfig {
  std::string path;
  conf::DnsConfig dns;
};

// The paths `route --compare` resolves `name` through, in this order: the configuration as
// it is; each forwarder alone when there are several; each server of the stub zone covering
// name alone when it has several; each of `via`: "ADDR[@PORT]" (IPv4 or IPv6, port 53 by
// default), the only server everything is forwarded to, or "recursion", the embedded
// recursion from the root. An unparsable `via` gives the error text.
std::expected<std::vector<ResolverPathConfig>, std::string> paths_to_compare(
    const conf::DnsConfig& dns, std::string_view name, const std::vector<std::string>& via);

// One resolver path and the route it produced.
struct PathRoute {
  std::string path;  // e.g. "configured (stub example.com (127.0.0.1@5353))", "via 127.0.0.2@53"
  RouteExplanation explanation;
};

struct ComparisonRow {
  enum class Kind { must_agree, informational };
  std::string item;  // "example.com MX", "  records", "  ttl", "verdict"
  Kind kind = Kind::must_agree;
  // One cell per path, each cell one or more lines ("(not asked)" when the path did not ask).
  std::vector<std::vector<std::string>> cells;

  bool differs() const;
};

struct RouteComparison {
  std::string domain;
  std::vector<std::string> paths;
  std::vector<ComparisonRow> rows;
  std::vector<std::string> verdicts;  // "deliver", "defer" or "bounce", one per path

  // No must_agree row differs.
  bool agree() const;
  // `route --compare`'s exit status: 3 when the paths disagree; when they agree, that of
  // `route` for their common verdict (0 deliver, 1 bounce, 75 defer).
  int exit_status() const;
};

// routes must not be empty; all explain the same domain.
RouteComparison compare_routes(const std::vector<PathRoute>& routes);

// Side by side, one column per path; a row is marked "!" when it differs and must agree,
// "~" when it differs in information only (TTL, DNSSEC status, size, detail) among the
// paths that made that query.
std::string render_comparison_text(const RouteComparison& comparison);
std::string render_comparison_json(const RouteComparison& comparison);

}  // namespace mxrelay::resolver
