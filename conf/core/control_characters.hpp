// core: text that quotes input (a file name, a configuration value, a remote reply) made safe
// to print on one line: control characters become visible escapes.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::core {

// The C0 controls (TAB, LF and CR included) and DEL as \xNN; everything else (UTF-8
// included) as it is.
std::string escape_control_characters(std::string_view text);

}  // namespace mxrelay::core
