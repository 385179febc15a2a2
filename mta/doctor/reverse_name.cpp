// mta/doctor: reverse_name() and dotted_nibbles().
#include "mta/doctor/reverse_name.hpp"

#include <algorithm>

namespace mxrelay::mta::doctor {

std::string dotted_nibbles(const core::IpAddress& address) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (const auto byte : address.bytes()) {
    if (!out.empty()) out += '.';
    out += kHex[byte >> 4];
    out += '.';
    out += kHex[byte & 0xf];
  }
  return out;
}

std::string reverse_name(const core::IpAddress& address) {
  if (address.is_v6()) {
    std::string nibbles = dotted_nibbles(address);
    std::ranges::reverse(nibbles);
    return nibbles + ".ip6.arpa";
  }
  const auto& bytes = address.bytes();
  std::string out;
  for (int i = 3; i >= 0; --i) out += std::to_string(bytes[static_cast<std::size_t>(i)]) + ".";
  return out + "in-addr.arpa";
}

}  // namespace mxrelay::mta::doctor
