// mta/dkim: a DKIM private key (RSA or Ed25519) held by OpenSSL: loading from PEM, generating
// (`mxrelay dkim keygen`), signing as RFC 6376 3.3 (rsa-sha256: PKCS#1 v1.5 over SHA-256) and
// RFC 8463 (ed25519-sha256: Ed25519 over the SHA-256 of the data) ask, and the public key as
// the p= of its DNS record.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <string_view>

#include "conf/config.hpp"

typedef struct evp_pkey_st EVP_PKEY;

namespace mxrelay::mta::dkim {

class DkimKey {
 public:
  static std::expected<DkimKey, std::string> from_pem(std::string_view pem);
  static DkimKey generate_rsa(unsigned bits);
  static DkimKey generate_ed25519();

  conf::DkimAlgorithm algorithm() const { return algorithm_; }
  // "rsa-sha256" or "ed25519-sha256": the a= tag.
  std::string_view algorithm_name() const;
  // The signature of `data` (the canonical header fields), raw bytes.
  std::string sign(std::string_view data) const;
  // The key's public half as DKIM publishes it (base64): for RSA the DER SubjectPublicKeyInfo,
  // for Ed25519 the 32 raw octets (RFC 8463 4.2).
  std::string public_key_base64() const;
  // The TXT record's text: "v=DKIM1; k=rsa; p=..." or "v=DKIM1; k=ed25519; p=...".
  std::string dns_record() const;
  // The private key as PKCS#8 PEM, for keygen.
  std::string private_pem() const;

 private:
  DkimKey(std::shared_ptr<EVP_PKEY> key, conf::DkimAlgorithm algorithm)
      : key_(std::move(key)), algorithm_(algorithm) {}

  std::shared_ptr<EVP_PKEY> key_;
  conf::DkimAlgorithm algorithm_;
};

// SHA-256 of `data`, raw 32 octets.
std::string sha256(std::string_view data);

}  // namespace mxrelay::mta::dkim
