// mta/shaping: site_for().
#include "mta/shaping/site_matcher.hpp"

namespace mxrelay::mta {

bool host_has_suffix(std::string_view host, std::string_view suffix) {
  if (suffix.size() < 2 || suffix.front() != '.') return false;
  if (host == suffix.substr(1)) return true;
  return host.size() > suffix.size() && host.ends_with(suffix);
}

const conf::ShapingSite* site_for(std::span<const conf::ShapingSite> sites,
                                  std::span<const std::string> hosts) {
  for (const auto& host : hosts)
    for (const auto& site : sites)
      for (const auto& suffix : site.mx_suffixes)
        if (host_has_suffix(host, suffix)) return &site;
  return nullptr;
}

}  // namespace mxrelay::mta
