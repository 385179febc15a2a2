// core: ASCII case for protocol words, header field names, domain names and reply phrases:
// comparison, search and
// lower-casing that leave every other octet (UTF-8 included) as it is.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::core {

// True when a and b are equal ignoring ASCII case.
bool equals_ignoring_case(std::string_view a, std::string_view b);
// True when text contains phrase ignoring ASCII case (an empty phrase is in every text).
bool contains_ignoring_case(std::string_view text, std::string_view phrase);

// text with A-Z as a-z.
std::string lower_ascii(std::string_view text);
// text with a-z as A-Z.
std::string upper_ascii(std::string_view text);

}  // namespace mxrelay::core
