// conf: the transport map, per-domain overrides of how mail reaches its next hop, and
// the pure decision which entry applies to a recipient domain. Keys: "example.com" (that
// domain exactly), ".example.com" (its subdomains, not the apex), "*" (the default). The
// most specific key wins; comparison is case-insensitive, on A-labels. No entry at all
// means the built-in default: MX of the recipient domain with the [delivery] settings.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip_address.hpp"
#include "tls_policy.hpp"

namespace mxrelay::conf {

// How the next hop of an entry is found.
enum class NextHopKind {
  recipient_mx,  // neither mx nor host: strict MX resolution of the recipient domain
  mx,            // mx = "name": strict MX resolution of that name instead
  host,          // host = "...": the address records of one host (never MX), or a literal IP
};

// What happens to mail for the matched domains. For defer, hold and reject an entry's
// mx/host settings are kept but unused, so an admin can pause a route and resume it later.
enum class TransportAction {
  deliver,  // route it as the entry says
  defer,    // keep it queued and retry later, as after a temporary failure
  hold,     // keep it queued without delivery attempts until released
  reject,   // refuse the recipient at RCPT time
};

inline constexpr std::array<std::string_view, 4> kTransportActionNames{"deliver", "defer", "hold",
                                                                       "reject"};

constexpr std::string_view transport_action_name(TransportAction action) {
  return kTransportActionNames[static_cast<std::size_t>(action)];
}

// The reason used when an entry with this action gives none ("" for deliver).
std::string_view default_reason(TransportAction action);

struct TransportEntry {
  std::string key;      // as written: "Outlook.com", ".corp.example", "*"
  std::string pattern;  // canonical (see canonical_transport_key): "outlook.com"
  NextHopKind kind = NextHopKind::recipient_mx;
  // mx: the domain to look up; host: the host name or the address text; recipient_mx: "".
  // Names are canonical A-labels.
  std::string name;
  std::optional<core::IpAddress> address;  // host given as an IP literal
  std::optional<std::uint16_t> port;       // absent: delivery.port
  TlsPolicy tls = TlsPolicy::may;          // the entry's tls, or delivery.tls
  bool tls_inherited = true;               // true when tls came from delivery.tls
  std::string auth;                        // an [auth.NAME] table (Config::auth); "" for none
  // TLS from the first byte (RFC 8314 implicit TLS, port 465); tls is then encrypt or verify.
  bool implicit_tls = false;
  std::optional<unsigned> max_connections;  // absent: the delivery engine's default
  TransportAction action = TransportAction::deliver;
  std::string reason;  // defer/hold/reject: configured or default_reason(); deliver: ""
  // Where the key was written.
  std::string file;
  int line = 0;
  int column = 0;
  std::string where() const;  // "FILE:LINE:COLUMN"
};

// Which kind of key matched.
enum class MatchRule {
  exact,      // "example.com"
  subdomain,  // ".example.com"
  wildcard,   // "*"
  none,       // no entry: built-in default, MX of the recipient domain
};

struct TransportMatch {
  const TransportEntry* entry = nullptr;  // nullptr exactly when rule is none
  MatchRule rule = MatchRule::none;
  std::string domain;  // the recipient domain as compared: canonical A-label form
  // `exact "outlook.com"`, `subdomain of ".corp.example"`, `default "*"`, or
  // `no transport entry: MX of the recipient domain`.
  std::string why() const;
};

// "*" stays "*"; "Bücher.Example." -> "xn--bcher-kva.example"; ".Corp.Example" ->
// ".corp.example". A message saying what is wrong when the key is not "*", a valid host
// name, or "." followed by one.
std::expected<std::string, std::string> canonical_transport_key(std::string_view key);

class TransportMap {
 public:
  // The entry whose pattern is `pattern` (canonical form), or nullptr.
  const TransportEntry* find(std::string_view pattern) const;
  // Adds an entry; its pattern must be canonical and not yet present (std::logic_error).
  void add(TransportEntry entry);

  // The most specific entry for a recipient domain (any case, trailing dot, U- or
  // A-labels): the exact key, else the longest ".parent" key, else "*". A domain that is
  // not a valid IDN is compared in lower case as written.
  TransportMatch explain(std::string_view recipient_domain) const;
  // explain(recipient_domain).entry: nullptr means MX of the recipient domain with the
  // [delivery] settings.
  const TransportEntry* match(std::string_view recipient_domain) const;

  const std::vector<TransportEntry>& entries() const { return entries_; }  // in file order
  bool empty() const { return entries_.empty(); }

 private:
  struct PatternHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  std::vector<TransportEntry> entries_;
  // pattern -> position in entries_
  std::unordered_map<std::string, std::size_t, PatternHash, std::equal_to<>> index_;
};

}  // namespace mxrelay::conf
