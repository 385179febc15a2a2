// mta/dkim: DkimKey over OpenSSL 3's EVP interface.
#include "mta/dkim/dkim_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <stdexcept>

#include "mta/protocol/base64.hpp"

namespace mxrelay::mta::dkim {

namespace {

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("OpenSSL: ") + what);
}

int no_passphrase(char*, int, int, void*) {
  return -1;
}

std::shared_ptr<EVP_PKEY> owned(EVP_PKEY* key) {
  if (key == nullptr) fail("no key");
  return {key, &EVP_PKEY_free};
}

}  // namespace

std::expected<DkimKey, std::string> DkimKey::from_pem(std::string_view pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  EVP_PKEY* key =
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr;
  if (key == nullptr) return std::unexpected(std::string("not a PEM private key"));
  auto held = owned(key);
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
      return DkimKey(held, conf::DkimAlgorithm::rsa_sha256);
    case EVP_PKEY_ED25519:
      return DkimKey(held, conf::DkimAlgorithm::ed25519_sha256);
    default:
      return std::unexpected(std::string("neither an RSA nor an Ed25519 key"));
  }
}

DkimKey DkimKey::generate_rsa(unsigned bits) {
  return DkimKey(owned(EVP_RSA_gen(bits)), conf::DkimAlgorithm::rsa_sha256);
}

DkimKey DkimKey::generate_ed25519() {
  return DkimKey(owned(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")),
                 conf::DkimAlgorithm::ed25519_sha256);
}

std::string_view DkimKey::algorithm_name() const {
  return algorithm_ == conf::DkimAlgorithm::rsa_sha256 ? "rsa-sha256" : "ed25519-sha256";
}

std::string DkimKey::sign(std::string_view data) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  if (!context) fail("EVP_MD_CTX_new");
  const bool rsa = algorithm_ == conf::DkimAlgorithm::rsa_sha256;
  // Ed25519 is used in its pure form over the SHA-256 of the data (RFC 8463 3).
  const std::string hashed = rsa ? std::string() : sha256(data);
  const std::string_view input = rsa ? data : std::string_view(hashed);
  if (EVP_DigestSignInit(context.get(), nullptr, rsa ? EVP_sha256() : nullptr, nullptr,
                         key_.get()) != 1)
    fail("EVP_DigestSignInit");
  std::size_t size = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(input.data());
  if (EVP_DigestSign(context.get(), nullptr, &size, bytes, input.size()) != 1) fail("sign size");
  std::string signature(size, '\0');
  if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     bytes, input.size()) != 1)
    fail("EVP_DigestSign");
  signature.resize(size);
  return signature;
}

std::string DkimKey::public_key_base64() const {
  if (algorithm_ == conf::DkimAlgorithm::ed25519_sha256) {
    std::string raw(32, '\0');
    std::size_t size = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                    &size) != 1)
      fail("EVP_PKEY_get_raw_public_key");
    raw.resize(size);
    return encode_base64(raw);
  }
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key_.get(), &der);
  if (size <= 0) fail("i2d_PUBKEY");
  std::string bytes(reinterpret_cast<const char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return encode_base64(bytes);
}

std::string DkimKey::dns_record() const {
  const bool rsa = algorithm_ == conf::DkimAlgorithm::rsa_sha256;
  return std::string("v=DKIM1; k=") + (rsa ? "rsa" : "ed25519") + "; p=" + public_key_base64();
}

std::string DkimKey::private_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    fail("PEM_write_bio_PrivateKey");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string sha256(std::string_view data) {
  std::string digest(32, '\0');
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &size,
                 EVP_sha256(), nullptr) != 1)
    fail("EVP_Digest");
  return digest;
}

}  // namespace mxrelay::mta::dkim
