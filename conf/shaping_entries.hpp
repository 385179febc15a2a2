// conf: reading the [[shaping]] entries (and their [[shaping.on_reply]] rules) over the
// built-in sites: an entry whose `site` names a built-in one replaces it, others are added.
// Private to the conf module.
#pragma once

#include <vector>

#include "shaping_site.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// `out` holds the built-in sites on entry; problems go to root's diagnostics at the position
// of the value concerned.
void read_shaping_sites(const TomlSection& root, std::vector<ShapingSite>& out);

}  // namespace mxrelay::conf
