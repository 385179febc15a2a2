// conf: read_shaping_sites().
#include "shaping_entries.hpp"

#include <algorithm>
#include <map>

#include "config_values.hpp"
#include "core/domain_name.hpp"
#include "core/smtp_status.hpp"

namespace mxrelay::conf {

namespace {

// Indexed by ThrottleAction's values.
constexpr std::array<std::string_view, 3> kActionNames{"suspend", "halve_rate",
                                                       "halve_connections"};
// The most a site may be limited to, far above any provider's real limit.
constexpr std::int64_t kMaxLimit = 1'000'000;
// The longest phrase of a rule; an SMTP reply line has at most 512 octets.
constexpr std::size_t kMaxPhrase = 200;

bool is_site_name(std::string_view name) {
  return !name.empty() && name.size() <= 63 && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// "4", "4.7" or "4.7.650": a temporary class (throttling is never permanent) and up to two
// more numeric components.
bool is_code_prefix(std::string_view code) {
  if (code.empty() || code.front() != '4') return false;
  std::size_t components = 0;
  std::size_t start = 0;
  for (;;) {
    const auto dot = code.find('.', start);
    const auto part = code.substr(start, dot - start);
    if (part.empty() || part.size() > 3 ||
        !std::ranges::all_of(part, [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    if (++components > 3) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::optional<ThrottleRule> read_rule(const TomlSection& table) {
  table.reject_unknown_keys({"code", "text", "action", "duration"});
  ThrottleRule rule;
  bool valid = true;
  if (auto code = table.string("code")) {
    if (is_code_prefix(code->value)) {
      rule.code = code->value;
    } else {
      table.report(code->node->source(), "code",
                   quoted_value(code->value) +
                       " is not a temporary enhanced status code or prefix (4, 4.7, 4.7.650)");
      valid = false;
    }
  }
  if (auto phrases = table.strings("text")) {
    for (const auto& phrase : *phrases) {
      if (phrase.value.empty() || phrase.value.size() > kMaxPhrase)
        table.report(phrase.node->source(), "text",
                     "a phrase must have 1 to " + std::to_string(kMaxPhrase) + " characters");
      else
        rule.text.push_back(phrase.value);
    }
    if (phrases->empty())
      table.report(table.find("text")->source(), "text", "must list at least one phrase");
    if (rule.text.empty()) valid = false;
  }
  if (!table.find("code") && !table.find("text")) {
    table.report(table.table().source(), "code", "a rule needs code, text or both");
    valid = false;
  }
  if (!table.find("action")) {
    table.report(table.table().source(), "action", "required key is missing");
    valid = false;
  }
  read_enum(table, "action", kActionNames, rule.action);
  read_duration(table, "duration", rule.duration);
  if (!valid) return std::nullopt;
  return rule;
}

void read_suffixes(const TomlSection& table, ShapingSite& out) {
  auto items = table.strings("mx_suffixes");
  if (!items) return;
  for (const auto& item : *items) {
    const auto name = core::canonical_domain(item.value);
    if (name.size() < 2 || name.front() != '.' || !core::is_valid_hostname(name.substr(1))) {
      table.report(item.node->source(), "mx_suffixes",
                   quoted_value(item.value) +
                       " is not a host name suffix (a dot, then a host name: \".example.net\")");
      continue;
    }
    out.mx_suffixes.push_back(name);
  }
  if (out.mx_suffixes.empty())
    table.report(table.find("mx_suffixes")->source(), "mx_suffixes",
                 "must list at least one suffix");
}

std::optional<ShapingSite> read_site(const TomlSection& table) {
  table.reject_unknown_keys({"site", "mx_suffixes", "max_connections",
                             "max_messages_per_connection", "max_messages_per_minute", "on_reply"});
  const auto& where = table.table().source();
  for (std::string_view required : {"site", "mx_suffixes"})
    if (!table.find(required)) table.report(where, required, "required key is missing");
  ShapingSite site;
  if (auto name = table.string("site")) {
    if (!is_site_name(name->value) || name->value == "other")
      table.report(name->node->source(), "site",
                   quoted_value(name->value) +
                       " is not a site name (lower-case letters, digits, '-' and '_'; "
                       "\"other\" is reserved)");
    else
      site.site = name->value;
  }
  read_suffixes(table, site);
  read_integer(table, "max_connections", std::size_t{0}, std::size_t{kMaxLimit},
               site.max_connections);
  read_integer(table, "max_messages_per_connection", std::size_t{0}, std::size_t{kMaxLimit},
               site.max_messages_per_connection);
  read_integer(table, "max_messages_per_minute", std::size_t{0}, std::size_t{kMaxLimit},
               site.max_messages_per_minute);
  bool rules_valid = true;
  if (auto rules = table.subtables("on_reply"))
    for (const auto& rule_table : *rules) {
      auto rule = read_rule(rule_table);
      if (rule)
        site.on_reply.push_back(std::move(*rule));
      else
        rules_valid = false;
    }
  site.where = (where.path ? *where.path : std::string()) + ":" + std::to_string(where.begin.line) +
               ":" + std::to_string(where.begin.column);
  if (site.site.empty() || site.mx_suffixes.empty() || !rules_valid) return std::nullopt;
  return site;
}

}  // namespace

void read_shaping_sites(const TomlSection& root, std::vector<ShapingSite>& out) {
  auto tables = root.subtables("shaping");
  if (!tables) return;
  std::map<std::string, std::string> configured;    // site -> where
  std::map<std::string, std::string> suffix_owner;  // suffix -> site
  std::vector<ShapingSite> entries;
  for (const auto& table : *tables) {
    auto site = read_site(table);
    if (!site) continue;
    if (!configured.emplace(site->site, site->where).second) {
      table.report(
          table.find("site")->source(), "site",
          "site " + quoted_value(site->site) + " is already defined at " + configured[site->site]);
      continue;
    }
    for (const auto& suffix : site->mx_suffixes)
      if (auto [owner, added] = suffix_owner.emplace(suffix, site->site); !added)
        table.report(table.find("mx_suffixes")->source(), "mx_suffixes",
                     quoted_value(suffix) + " already belongs to site " + owner->second);
    entries.push_back(std::move(*site));
  }
  std::erase_if(out, [&](const ShapingSite& builtin) { return configured.contains(builtin.site); });
  // A built-in site keeps only the suffixes no configured site took over.
  for (auto& builtin : out)
    std::erase_if(builtin.mx_suffixes,
                  [&](const std::string& suffix) { return suffix_owner.contains(suffix); });
  std::erase_if(out, [](const ShapingSite& builtin) { return builtin.mx_suffixes.empty(); });
  for (auto& entry : entries) out.push_back(std::move(entry));
}

}  // namespace mxrelay::conf
