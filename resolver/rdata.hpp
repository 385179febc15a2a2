// resolver: decoding of the uncompressed wire-format rdata libunbound hands back
// (MX: preference + domain name; A: 4 bytes; AAAA: 16 bytes; TLSA: usage, selector, matching
// type, association data). Pure; nullopt when malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "core/ip_address.hpp"
#include "dns_answer.hpp"
#include "tlsa_record.hpp"

namespace mxrelay::resolver {

std::optional<MxRecord> parse_mx_rdata(std::span<const std::uint8_t> rdata);
std::optional<core::IpAddress> parse_address_rdata(RrType type,
                                                   std::span<const std::uint8_t> rdata);
// RFC 6698 2.1: three one-byte fields, then at least one byte of association data.
std::optional<TlsaRecord> parse_tlsa_rdata(std::span<const std::uint8_t> rdata);

}  // namespace mxrelay::resolver
