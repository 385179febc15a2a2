// conf: TransportMap lookups and the canonical form of transport keys.
#include "transport_map.hpp"

#include <stdexcept>

#include "core/domain_name.hpp"
#include "idna.hpp"

namespace mxrelay::conf {

namespace {

constexpr std::string_view kWildcard = "*";

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

}  // namespace

std::string_view default_reason(TransportAction action) {
  switch (action) {
    case TransportAction::deliver:
      break;
    case TransportAction::defer:
      return "delivery to this domain is deferred by the relay's transport map";
    case TransportAction::hold:
      return "mail for this domain is held by the relay's transport map";
    case TransportAction::reject:
      return "mail for this domain is not accepted by this relay";
  }
  return "";
}

std::string TransportEntry::where() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string TransportMatch::why() const {
  switch (rule) {
    case MatchRule::exact:
      return "exact " + quoted(entry->key);
    case MatchRule::subdomain:
      return "subdomain of " + quoted(entry->key);
    case MatchRule::wildcard:
      return "default " + quoted(entry->key);
    case MatchRule::none:
      break;
  }
  return "no transport entry: MX of the recipient domain";
}

std::expected<std::string, std::string> canonical_transport_key(std::string_view key) {
  if (key == kWildcard) return std::string(kWildcard);
  bool subdomains = key.starts_with('.');
  if (subdomains) key.remove_prefix(1);
  if (key.starts_with("*."))
    return std::unexpected("invalid key (use \"." + std::string(key.substr(2)) +
                           "\" for subdomains, \"*\" alone for the default)");
  auto domain = to_a_label_domain(key);
  if (!domain) return std::unexpected("invalid domain: " + domain.error());
  if (!core::is_valid_hostname(*domain))
    return std::unexpected(
        "invalid key (use \"domain\", \".domain\" for its subdomains, or \"*\")");
  return subdomains ? "." + *domain : *domain;
}

const TransportEntry* TransportMap::find(std::string_view pattern) const {
  auto found = index_.find(pattern);
  return found == index_.end() ? nullptr : &entries_[found->second];
}

void TransportMap::add(TransportEntry entry) {
  if (find(entry.pattern)) throw std::logic_error("duplicate transport key " + entry.pattern);
  index_.emplace(entry.pattern, entries_.size());
  entries_.push_back(std::move(entry));
}

TransportMatch TransportMap::explain(std::string_view recipient_domain) const {
  auto converted = to_a_label_domain(recipient_domain);
  TransportMatch result;
  result.domain = converted ? *converted : core::canonical_domain(recipient_domain);
  std::string_view domain = result.domain;
  bool is_domain = !domain.empty() && domain != kWildcard && !domain.starts_with('.');
  if (is_domain && (result.entry = find(domain))) {
    result.rule = MatchRule::exact;
    return result;
  }
  for (auto dot = is_domain ? domain.find('.') : std::string_view::npos;
       dot != std::string_view::npos; dot = domain.find('.', dot + 1)) {
    if ((result.entry = find(domain.substr(dot)))) {
      result.rule = MatchRule::subdomain;
      return result;
    }
  }
  if ((result.entry = find(kWildcard))) result.rule = MatchRule::wildcard;
  return result;
}

const TransportEntry* TransportMap::match(std::string_view recipient_domain) const {
  return explain(recipient_domain).entry;
}

}  // namespace mxrelay::conf
