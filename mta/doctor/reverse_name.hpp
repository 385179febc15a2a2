// mta/doctor: the reverse-DNS name of an address (RFC 1035 3.5, RFC 3596 2.5), where its PTR
// record lives. Pure.
#pragma once

#include <string>

#include "core/ip_address.hpp"

namespace mxrelay::mta::doctor {

// "9.0.0.127.in-addr.arpa"; for IPv6 32 nibbles, least significant first, then "ip6.arpa".
std::string reverse_name(const core::IpAddress& address);

// The nibbles of an IPv6 address, most significant first, dot-separated (SPF's %{i}).
std::string dotted_nibbles(const core::IpAddress& address);

}  // namespace mxrelay::mta::doctor
