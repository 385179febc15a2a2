// core: canonical form of a DNS domain name as mxrelay compares and stores it
// (lower case ASCII, no trailing dot), and a syntax check for host names.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::core {

// "Example.COM." -> "example.com"
std::string canonical_domain(std::string_view name);

// True for a syntactically valid host name: dot-separated LDH labels of 1..63 octets,
// at most 253 octets in all (after removing one trailing dot).
bool is_valid_hostname(std::string_view name);

}  // namespace mxrelay::core
