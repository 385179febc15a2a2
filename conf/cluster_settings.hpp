// conf: reading the [cluster] section: the Redis server the relays of a cluster share their
// sites' limits through, how many relays there are, the prefix of the Redis keys, and how long
// a Redis reply may take. Private to the conf module.
#pragma once

#include "config.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// Problems go to the section's diagnostics at the position of the value concerned.
void read_cluster(const TomlSection& cluster, ClusterConfig& out);

}  // namespace mxrelay::conf
