// conf: internationalised domain names in their A-label form (IDNA2008 with UTS #46
// mapping, via libidn2), the form in which mxrelay compares and stores domains.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace mxrelay::conf {

// "Bücher.Example." -> "xn--bcher-kva.example". ASCII input is only made canonical (lower
// case, no trailing dot) and not otherwise checked; non-ASCII input that is not a valid
// internationalised name gives libidn2's description of the problem.
std::expected<std::string, std::string> to_a_label_domain(std::string_view domain);

// The Unicode form of a domain for display: "xn--bcher-kva.example" -> "bücher.example";
// "" when the domain has no A-label or cannot be converted.
std::string to_u_label_domain(std::string_view domain);

}  // namespace mxrelay::conf
