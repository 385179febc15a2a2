// conf: the outbound TLS policies (delivery.tls and a transport entry's tls) and their
// configuration names. The SMTP client implements them; this file only names them.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace mxrelay::conf {

// none: never STARTTLS. may: STARTTLS when offered, plain text after a failed handshake
// (RFC 7435). encrypt: TLS required, certificate unchecked. verify: TLS required, chain
// and name checked. dane / dane_only: RFC 7672 (TLSA lookup failure defers, never downgrades).
enum class TlsPolicy { none, may, encrypt, verify, dane, dane_only };

// The configuration names, indexed by the enumerator's value.
inline constexpr std::array<std::string_view, 6> kTlsPolicyNames{"none",   "may",  "encrypt",
                                                                 "verify", "dane", "dane-only"};

// "none", "may", ..., "dane-only": the name used in the configuration, logs and `route`.
constexpr std::string_view tls_policy_name(TlsPolicy policy) {
  return kTlsPolicyNames[static_cast<std::size_t>(policy)];
}

}  // namespace mxrelay::conf
