// core: text that quotes input (a file name, a configuration value, a remote reply) made safe
// to print on one line: control characters become visible escapes.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::core {

// TAB, LF and CR as \t, \n, \r; the other C0 controls and DEL as \xNN; everything else
// (UTF-8 included) as it is.
std::string escape_control_characters(std::string_view text);

}  // namespace mxrelay::core
