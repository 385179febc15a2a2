// conf: the default cipher choice of the inbound STARTTLS listener (server.tls_ciphers and
// server.tls_ciphersuites), named once here for the configuration and the TLS code.
#pragma once

namespace mxrelay::conf {

// Mozilla server-side TLS guidelines, "intermediate" configuration (TLS 1.2 ciphers; TLS 1.3
// suites are OpenSSL's defaults, all of which that configuration allows). OpenSSL syntax.
inline constexpr const char* kIntermediateCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
inline constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

}  // namespace mxrelay::conf
