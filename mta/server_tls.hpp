// mta: the inbound side's TLS: the OpenSSL server context for STARTTLS (certificate, key,
// TLS 1.2 minimum, Mozilla's "intermediate" cipher choice by default) and the description
// of a negotiated session for logs and the Received header.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

namespace mxrelay::mta {

// Mozilla server-side TLS guidelines, "intermediate" configuration (TLS 1.2 ciphers; TLS 1.3
// suites are OpenSSL's defaults, all of which that configuration allows).
inline constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

struct ServerTlsSettings {
  std::filesystem::path cert_file;             // PEM chain, leaf first
  std::filesystem::path key_file;              // PEM private key
  std::string ciphers = kIntermediateCiphers;  // TLS 1.2 cipher list (OpenSSL syntax)
  std::string ciphersuites = kTls13Suites;     // TLS 1.3 suites
};

// Throws std::runtime_error naming the file or setting that is wrong (a start-up failure).
std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(
    const ServerTlsSettings& settings);

// What a handshake negotiated: "TLSv1.3", "TLS_AES_256_GCM_SHA384", 256.
struct TlsSessionInfo {
  std::string version;
  std::string cipher;
  int bits = 0;
  // "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)"
  std::string description() const;
};

TlsSessionInfo describe_tls_session(const SSL* ssl);

}  // namespace mxrelay::mta
