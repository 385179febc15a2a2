// mta/inbound: OpenSSL server context and session description.
#include "mta/inbound/server_tls.hpp"

#include <openssl/err.h>

#include <stdexcept>

namespace mxrelay::mta {

namespace {

std::string openssl_error() {
  char text[256] = "unknown error";
  if (unsigned long code = ERR_get_error(); code != 0) ERR_error_string_n(code, text, sizeof text);
  ERR_clear_error();
  return text;
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("TLS: " + what + ": " + openssl_error());
}

}  // namespace

std::shared_ptr<boost::asio::ssl::context> make_server_tls_context(
    const ServerTlsSettings& settings) {
  namespace ssl = boost::asio::ssl;
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  require(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1, "cannot set TLS 1.2 minimum");
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  require(SSL_CTX_set_cipher_list(ctx, settings.ciphers.c_str()) == 1,
          "bad cipher list \"" + settings.ciphers + "\"");
  require(SSL_CTX_set_ciphersuites(ctx, settings.ciphersuites.c_str()) == 1,
          "bad TLS 1.3 cipher suites \"" + settings.ciphersuites + "\"");
  require(SSL_CTX_set_dh_auto(ctx, 1) == 1, "cannot enable DH parameters");
  require(SSL_CTX_use_certificate_chain_file(ctx, settings.cert_file.c_str()) == 1,
          "cannot load certificate " + settings.cert_file.string());
  require(SSL_CTX_use_PrivateKey_file(ctx, settings.key_file.c_str(), SSL_FILETYPE_PEM) == 1,
          "cannot load key " + settings.key_file.string());
  require(SSL_CTX_check_private_key(ctx) == 1,
          "key " + settings.key_file.string() + " does not match the certificate");
  return context;
}

std::string TlsSessionInfo::description() const {
  std::string bits_text = std::to_string(bits);
  return version + " with cipher " + cipher + " (" + bits_text + "/" + bits_text + " bits)";
}

TlsSessionInfo describe_tls_session(const SSL* ssl) {
  TlsSessionInfo info;
  info.version = SSL_get_version(ssl);
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  if (cipher != nullptr) {
    info.cipher = SSL_CIPHER_get_name(cipher);
    info.bits = SSL_CIPHER_get_bits(cipher, nullptr);
  }
  return info;
}

}  // namespace mxrelay::mta
