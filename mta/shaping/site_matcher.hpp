// mta/shaping: which shaping site a destination belongs to, from the names of the hosts its
// mail goes to (the MX hosts, or the transport entry's host): the first host, in route order,
// that ends with one of a site's mx_suffixes decides. No match: the destination is its own
// site, with no site limits. Pure.
#pragma once

#include <span>
#include <string>

#include "conf/shaping_site.hpp"

namespace mxrelay::mta {

// The site of these next-hop host names (canonical, no trailing dot); nullptr when none
// matches.
const conf::ShapingSite* site_for(std::span<const conf::ShapingSite> sites,
                                  std::span<const std::string> hosts);

// Whether `host` ends with `suffix` (".example.net") at a label boundary, or is the suffix's
// name itself ("example.net").
bool host_has_suffix(std::string_view host, std::string_view suffix);

}  // namespace mxrelay::mta
