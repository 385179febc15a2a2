// conf: reading the local addresses outbound connections come from: delivery.source_addresses
// (several, of either family) or the older delivery.source_ipv4 / source_ipv6 (one per
// family); the two ways exclude each other. Private to the conf module.
#pragma once

#include "config.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// Problems go to the section's diagnostics at the position of the value concerned.
void read_source_addresses(const TomlSection& delivery, DeliveryConfig& out);

}  // namespace mxrelay::conf
