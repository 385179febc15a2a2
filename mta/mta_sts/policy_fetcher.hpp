// mta/mta_sts: the HTTPS fetch of an MTA-STS policy (RFC 8461 section 3.3) with Boost.Beast:
// GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt, the host name resolved through the
// relay's own resolver (A and AAAA, each address tried in turn), the certificate verified
// for that name against the system CAs plus delivery.tls_ca_file, TLS 1.2 or later, no
// redirects (a 3xx is a failure), 200 with a text/plain body of at most 64 KiB, and one
// deadline for each address's connect, handshake, request and response.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>

#include "resolver/unbound_client.hpp"

namespace mxrelay::mta::sts {

inline constexpr std::size_t kMaxPolicyBytes = 64 * 1024;
inline constexpr auto kFetchTimeout = std::chrono::seconds(30);

struct FetchFailure {
  // webpki: the certificate of the policy host did not verify (TLS-RPT sts-webpki-invalid);
  // every other kind is sts-policy-fetch-error.
  enum class Kind { dns, connect, webpki, http };
  Kind kind = Kind::connect;
  std::string reason;
};

// host is "mta-sts.DOMAIN"; ca_file empty: the system's CAs only.
boost::asio::awaitable<std::expected<std::string, FetchFailure>> fetch_policy_body(
    resolver::UnboundClient& dns, std::string host, std::filesystem::path ca_file,
    std::chrono::steady_clock::duration timeout = kFetchTimeout);

}  // namespace mxrelay::mta::sts
