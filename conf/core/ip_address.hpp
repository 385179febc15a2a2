// core: an IPv4 or IPv6 address as plain bytes, and CIDR networks over it.
// No I/O and no Asio: parsing uses inet_pton, so every module can use these types.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::core {

class IpAddress {
 public:
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(std::array<std::uint8_t, 4> bytes);
  static IpAddress v6(std::array<std::uint8_t, 16> bytes);

  bool is_v6() const { return v6_; }
  bool is_loopback() const;
  // Why mail can never be delivered to this address ("unspecified", "multicast",
  // "broadcast"); "" for a unicast address.
  const char* not_a_destination() const;
  // Network byte order; IPv4 uses the first four bytes.
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string str() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  bool v6_ = false;
  std::array<std::uint8_t, 16> bytes_{};
};

class Cidr {
 public:
  // "127.0.0.0/8", "::1/128", or a bare address (a host network).
  static std::optional<Cidr> parse(std::string_view text);
  bool contains(const IpAddress& address) const;
  std::string str() const;

 private:
  IpAddress network_;
  unsigned prefix_ = 0;
};

}  // namespace mxrelay::core
