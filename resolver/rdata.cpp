// resolver: MX, A, AAAA and TLSA rdata decoding.
#include "rdata.hpp"

#include <algorithm>
#include <string>

#include "core/domain_name.hpp"

namespace mxrelay::resolver {

namespace {

void append_decimal_escape(std::string& out, unsigned char byte) {
  out += '\\';
  out += static_cast<char>('0' + byte / 100);
  out += static_cast<char>('0' + byte / 10 % 10);
  out += static_cast<char>('0' + byte % 10);
}

bool printable(unsigned char byte) {
  return byte > 0x20 && byte < 0x7f;
}

// An uncompressed wire-format name filling the whole span -> "a.b.c" ("" for the root).
std::optional<std::string> parse_wire_name(std::span<const std::uint8_t> wire) {
  std::string name;
  std::size_t pos = 0;
  while (pos < wire.size()) {
    std::size_t length = wire[pos++];
    if (length == 0) {
      if (pos != wire.size()) return std::nullopt;
      return core::canonical_domain(name);
    }
    if (length > 63 || pos + length > wire.size()) return std::nullopt;
    if (!name.empty()) name += '.';
    for (const auto byte : wire.subspan(pos, length)) {
      if (byte == '.' || byte == '\\') {
        name += '\\';
        name += static_cast<char>(byte);
      } else if (printable(byte)) {
        name += static_cast<char>(byte);
      } else {
        append_decimal_escape(name, byte);
      }
    }
    pos += length;
  }
  return std::nullopt;
}

}  // namespace

std::string escape_unprintable(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    if (printable(byte))
      out += c;
    else
      append_decimal_escape(out, byte);
  }
  return out;
}

std::optional<MxRecord> parse_mx_rdata(std::span<const std::uint8_t> rdata) {
  if (rdata.size() < 3) return std::nullopt;
  auto exchange = parse_wire_name(rdata.subspan(2));
  if (!exchange) return std::nullopt;
  auto preference = static_cast<std::uint16_t>((rdata[0] << 8) | rdata[1]);
  return MxRecord{preference, std::move(*exchange)};
}

std::optional<std::string> parse_ptr_rdata(std::span<const std::uint8_t> rdata) {
  return parse_wire_name(rdata);
}

std::optional<core::IpAddress> parse_address_rdata(RrType type,
                                                   std::span<const std::uint8_t> rdata) {
  if (type == RrType::a && rdata.size() == 4) {
    std::array<std::uint8_t, 4> bytes{};
    std::ranges::copy(rdata, bytes.begin());
    return core::IpAddress::v4(bytes);
  }
  if (type == RrType::aaaa && rdata.size() == 16) {
    std::array<std::uint8_t, 16> bytes{};
    std::ranges::copy(rdata, bytes.begin());
    return core::IpAddress::v6(bytes);
  }
  return std::nullopt;
}

std::optional<std::string> parse_txt_rdata(std::span<const std::uint8_t> rdata) {
  if (rdata.empty()) return std::nullopt;
  std::string text;
  while (!rdata.empty()) {
    const std::size_t length = rdata[0];
    if (length + 1 > rdata.size()) return std::nullopt;
    text.append(reinterpret_cast<const char*>(rdata.data() + 1), length);
    rdata = rdata.subspan(length + 1);
  }
  return text;
}

std::optional<TlsaRecord> parse_tlsa_rdata(std::span<const std::uint8_t> rdata) {
  if (rdata.size() < 4) return std::nullopt;
  return TlsaRecord{rdata[0], rdata[1], rdata[2], {rdata.begin() + 3, rdata.end()}};
}

}  // namespace mxrelay::resolver
