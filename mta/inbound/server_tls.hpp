// mta/inbound: the inbound side's TLS: the OpenSSL server context for STARTTLS (certificate, key,
// TLS 1.2 minimum, Mozilla's "intermediate" cipher choice by default) and the description
// of a negotiated session for logs and the Received header.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "conf/tls_ciphers.hpp"

namespace mxrelay::mta {

struct ServerTlsSettings {
  std::filesystem::path cert_file;                   // PEM chain, leaf first
  std::filesystem::path key_file;                    // PEM private key
  std::string ciphers = conf::kIntermediateCiphers;  // TLS 1.2 cipher list (OpenSSL syntax)
  std::string ciphersuites = conf::kTls13Suites;     // TLS 1.3 suites
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
