// mta/mta_sts: the HTTPS fetch of an MTA-STS policy (RFC 8461 section 3.3) through the shared
// HTTPS client (mta/io/https_client.hpp: the relay's resolver, the certificate verified for
// the name against the system CAs plus delivery.tls_ca_file, TLS 1.2 or later, one deadline
// per address): GET https://mta-sts.DOMAIN/.well-known/mta-sts.txt, no redirects (a 3xx is a
// failure), 200 with a text/plain body of at most 64 KiB.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>

#include "mta/io/https_client.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta::sts {

inline constexpr std::size_t kMaxPolicyBytes = 64 * 1024;
inline constexpr auto kFetchTimeout = std::chrono::seconds(30);

// webpki: the certificate of the policy host did not verify (TLS-RPT sts-webpki-invalid);
// every other kind is sts-policy-fetch-error.
using FetchFailure = HttpsFailure;

// host is "mta-sts.DOMAIN"; ca_file empty: the system's CAs only.
boost::asio::awaitable<std::expected<std::string, FetchFailure>> fetch_policy_body(
    resolver::UnboundClient& dns, std::string host, std::filesystem::path ca_file,
    std::chrono::steady_clock::duration timeout = kFetchTimeout);

}  // namespace mxrelay::mta::sts
