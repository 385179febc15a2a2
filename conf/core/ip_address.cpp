// core: IpAddress and Cidr parsing, formatting and matching.
#include "ip_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace mxrelay::core {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress out;
  if (inet_pton(AF_INET, buf, out.bytes_.data()) == 1) return out;
  if (inet_pton(AF_INET6, buf, out.bytes_.data()) == 1) {
    out.v6_ = true;
    return out;
  }
  return std::nullopt;
}

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> bytes) {
  IpAddress out;
  std::memcpy(out.bytes_.data(), bytes.data(), 4);
  return out;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> bytes) {
  IpAddress out;
  out.v6_ = true;
  out.bytes_ = bytes;
  return out;
}

bool IpAddress::is_loopback() const {
  if (!v6_) return bytes_[0] == 127;
  static constexpr std::array<std::uint8_t, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0,
                                                           0, 0, 0, 0, 0, 0, 0, 1};
  return bytes_ == kLoopback6;
}

const char* IpAddress::not_a_destination() const {
  if (std::ranges::all_of(bytes_.begin(), bytes_.begin() + (v6_ ? 16 : 4),
                          [](std::uint8_t b) { return b == 0; }))
    return "unspecified";
  if (v6_) return bytes_[0] == 0xff ? "multicast" : "";
  if ((bytes_[0] & 0xf0) == 224) return "multicast";
  if (std::ranges::all_of(bytes_.begin(), bytes_.begin() + 4,
                          [](std::uint8_t b) { return b == 0xff; }))
    return "broadcast";
  return "";
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6_ ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  unsigned max_prefix = address->is_v6() ? 128 : 32;
  unsigned prefix = max_prefix;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() ||
        prefix > max_prefix)
      return std::nullopt;
  }
  Cidr out;
  out.network_ = *address;
  out.prefix_ = prefix;
  return out;
}

bool Cidr::contains(const IpAddress& address) const {
  if (address.is_v6() != network_.is_v6()) return false;
  const auto& a = address.bytes();
  const auto& n = network_.bytes();
  unsigned full = prefix_ / 8;
  for (unsigned i = 0; i < full; ++i)
    if (a[i] != n[i]) return false;
  unsigned rest = prefix_ % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (a[full] & mask) == (n[full] & mask);
}

std::string Cidr::str() const {
  return network_.str() + "/" + std::to_string(prefix_);
}

}  // namespace mxrelay::core
