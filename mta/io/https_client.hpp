// mta/io: one HTTPS request with Boost.Beast, shared by the MTA-STS policy fetch (GET) and the
// TLS-RPT report upload (POST). The host is resolved through the relay's own resolver (A and
// AAAA, each address tried in turn until one answers) unless it is an address literal; the
// certificate is verified for the host against the system CAs plus a given CA file, TLS 1.2
// or later; one deadline covers each address's connect, handshake, request and response; a
// response body over body_limit is a failure. Redirects are not followed (the caller sees 3xx).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>

#include "resolver/unbound_client.hpp"

namespace mxrelay::mta {

struct HttpsFailure {
  // webpki: the server's certificate did not verify (TLS-RPT sts-webpki-invalid for MTA-STS).
  enum class Kind { dns, connect, webpki, http };
  Kind kind = Kind::connect;
  std::string reason;
};

struct HttpsRequest {
  std::string host;  // a DNS name or an address literal (IPv6 without brackets)
  std::uint16_t port = 443;
  bool post = false;                   // false: GET without a body
  std::string target = "/";            // path and query
  std::string content_type;            // of the POST body
  std::string body;                    // POST only
  std::size_t body_limit = 64 * 1024;  // of the response
};

struct HttpsResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

// ca_file empty: the system's CAs only.
boost::asio::awaitable<std::expected<HttpsResponse, HttpsFailure>> https_request(
    resolver::UnboundClient& dns, HttpsRequest request, std::filesystem::path ca_file,
    std::chrono::steady_clock::duration timeout);

}  // namespace mxrelay::mta
