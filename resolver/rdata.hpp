// resolver: decoding of the uncompressed wire-format rdata libunbound hands back
// (MX: preference + domain name; A: 4 bytes; AAAA: 16 bytes; TXT: length-prefixed strings;
// TLSA: usage, selector, matching type, association data). Pure; nullopt when malformed. Names come
// out in RFC 1035 presentation form: a label byte that is not printable ASCII is written \DDD, a
// '.' or
// '\' inside a label \. or \\, so a name from the wire is safe to print (logs, JSON) and
// resolves back to the same wire name.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/ip_address.hpp"
#include "dns_answer.hpp"
#include "tlsa_record.hpp"

namespace mxrelay::resolver {

std::optional<MxRecord> parse_mx_rdata(std::span<const std::uint8_t> rdata);
// PTR RDATA: one uncompressed wire name, in canonical form.
std::optional<std::string> parse_ptr_rdata(std::span<const std::uint8_t> rdata);
// A name libunbound gives as text (the canonical name): bytes outside printable ASCII become
// \DDD; its escapes are kept.
std::string escape_unprintable(std::string_view name);
std::optional<core::IpAddress> parse_address_rdata(RrType type,
                                                   std::span<const std::uint8_t> rdata);
// RFC 1035 3.3.14: one or more <length><octets> strings, joined (RFC 7208 3.3, RFC 6376 3.6.2.2).
std::optional<std::string> parse_txt_rdata(std::span<const std::uint8_t> rdata);
// RFC 6698 2.1: three one-byte fields, then at least one byte of association data.
std::optional<TlsaRecord> parse_tlsa_rdata(std::span<const std::uint8_t> rdata);

}  // namespace mxrelay::resolver
