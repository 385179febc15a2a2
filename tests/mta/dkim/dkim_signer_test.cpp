// tests/mta/dkim: the signer's choice of keys (most specific domain, one signature per key),
// the shape of a signature field, and its signature checked with OpenSSL against a hash built
// here from the RFC 6376 rules (the independent verifiers run in tests/e2e/test_dkim.py).
#include "mta/dkim/dkim_signer.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "core/ascii_case.hpp"
#include "mta/dkim/dkim_canonical.hpp"
#include "mta/dkim/dkim_signature.hpp"
#include "mta/protocol/base64.hpp"

namespace mxrelay::mta::dkim {
namespace {

const std::string kMessage =
    "From: Alice <alice@mail.corp.example>\r\n"
    "To: bob@dest.example\r\n"
    "Subject: a subject\r\n"
    " folded\r\n"
    "Date: Thu, 03 Dec 2026 12:00:00 +0000\r\n"
    "X-Unsigned: not in the list\r\n"
    "\r\n"
    "Hello,  world \r\n"
    "\r\n";

conf::DkimEntry entry(const std::string& domain, const std::string& selector, const DkimKey& key) {
  conf::DkimEntry out;
  out.domain = domain;
  out.selector = selector;
  out.key_pem = key.private_pem();
  out.algorithm = key.algorithm();
  out.headers.assign(conf::kDefaultDkimHeaders.begin(), conf::kDefaultDkimHeaders.end());
  out.where = "test.toml:1:1";
  return out;
}

// The value of tag `name` in a DKIM-Signature field, whitespace removed; "" when absent.
std::string tag(const std::string& field, const std::string& name) {
  std::string compact;
  for (char c : field)
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') compact += c;
  for (std::size_t at = compact.find(name + "="); at != std::string::npos;
       at = compact.find(name + "=", at + 1)) {
    if (at > 0 && compact[at - 1] != ';' && compact[at - 1] != ':') continue;
    const auto start = at + name.size() + 1;
    return compact.substr(start, compact.find(';', start) - start);
  }
  return {};
}

// The signed data rebuilt from the field's h= (each name once in this message, From twice).
std::string signed_data(const std::string& field) {
  std::string data;
  const auto parts = split_message(kMessage);
  std::string names = tag(field, "h");
  std::size_t from_seen = 0;
  for (std::size_t start = 0; start <= names.size();) {
    const auto end = std::min(names.find(':', start), names.size());
    const std::string name = names.substr(start, end - start);
    start = end + 1;
    if (name == "from" && from_seen++ > 0) continue;  // the oversigned, absent instance
    for (const auto& header : parts.fields)
      if (core::equals_ignoring_case(header.name, name)) data += relaxed_header(header.raw);
  }
  const auto b = field.rfind("b=");
  std::string own = relaxed_header(field.substr(0, b + 2));
  own.resize(own.size() - 2);
  return data + own;
}

bool verifies(const std::string& field, const DkimKey& key) {
  const auto der = decode_base64(key.public_key_base64());
  const std::string signature = *decode_base64(tag(field, "b"));
  const std::string data = signed_data(field);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> public_key(nullptr, &EVP_PKEY_free);
  if (key.algorithm() == conf::DkimAlgorithm::rsa_sha256) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(der->data());
    public_key.reset(d2i_PUBKEY(nullptr, &bytes, static_cast<long>(der->size())));
  } else {
    public_key.reset(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(der->data()),
        der->size()));
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  &EVP_MD_CTX_free);
  const bool rsa = key.algorithm() == conf::DkimAlgorithm::rsa_sha256;
  const std::string input = rsa ? data : sha256(data);
  EVP_DigestVerifyInit(context.get(), nullptr, rsa ? EVP_sha256() : nullptr, nullptr,
                       public_key.get());
  return EVP_DigestVerify(context.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                          input.size()) == 1;
}

TEST(DkimSigner, MostSpecificDomainSignsOncePerKey) {
  const auto rsa = DkimKey::generate_rsa(2048);
  const auto ed = DkimKey::generate_ed25519();
  const auto parent = DkimKey::generate_ed25519();
  const DkimSigner signer({entry("corp.example", "p1", parent),
                           entry("mail.corp.example", "rsa1", rsa),
                           entry("mail.corp.example", "ed1", ed)});
  const auto result = signer.sign(kMessage, 1796316632);
  ASSERT_FALSE(result.unsigned_reason);
  ASSERT_EQ(result.signatures.size(), 2u);
  EXPECT_EQ(result.signatures[0].domain, "mail.corp.example");
  EXPECT_EQ(result.signatures[0].algorithm, "rsa-sha256");
  EXPECT_EQ(result.signatures[1].algorithm, "ed25519-sha256");

  const auto second = result.fields.find("DKIM-Signature:", 1);
  ASSERT_NE(second, std::string::npos);
  const std::string rsa_field = result.fields.substr(0, second);
  const std::string ed_field = result.fields.substr(second);
  EXPECT_EQ(tag(rsa_field, "d"), "mail.corp.example");
  EXPECT_EQ(tag(rsa_field, "s"), "rsa1");
  EXPECT_EQ(tag(rsa_field, "c"), "relaxed/relaxed");
  EXPECT_EQ(tag(rsa_field, "t"), "1796316632");
  EXPECT_EQ(tag(rsa_field, "h"), "from:from:subject:date:to");
  EXPECT_EQ(tag(rsa_field, "l"), "");
  EXPECT_EQ(tag(rsa_field, "bh"), body_hash(split_message(kMessage).body));
  EXPECT_EQ(tag(rsa_field, "bh"), encode_base64(sha256("Hello, world\r\n")));
  for (const auto* field : {&rsa_field, &ed_field}) {
    std::size_t start = 0;
    while (start < field->size()) {
      const auto end = field->find("\r\n", start);
      EXPECT_LE(end - start, 78u) << *field;
      start = end + 2;
    }
  }
  EXPECT_TRUE(verifies(rsa_field, rsa));
  EXPECT_TRUE(verifies(ed_field, ed));
  EXPECT_FALSE(verifies(ed_field, parent));
}

TEST(DkimSigner, UnsignedWithAReason) {
  const DkimSigner signer({entry("corp.example", "s", DkimKey::generate_ed25519())});
  EXPECT_EQ(signer.sign("From: a@corp.example.evil\r\n\r\nx\r\n", 0).unsigned_reason,
            Unsigned::no_key);
  EXPECT_EQ(signer.sign("From: a@xcorp.example\r\n\r\nx\r\n", 0).unsigned_reason, Unsigned::no_key);
  EXPECT_EQ(signer.sign("Subject: none\r\n\r\nx\r\n", 0).unsigned_reason, Unsigned::no_from);
  const auto several = signer.sign("From: a@corp.example, b@corp.example\r\n\r\nx\r\n", 0);
  EXPECT_EQ(several.unsigned_reason, Unsigned::several_authors);
  EXPECT_EQ(several.fields, "");
  EXPECT_TRUE(DkimSigner().empty());
}

// A header line without a colon (or a continuation first) is read differently by different
// verifiers: such a message goes unsigned (found in review).
TEST(DkimSigner, AMalformedHeaderIsNotSigned) {
  const DkimSigner signer({entry("corp.example", "s", DkimKey::generate_ed25519())});
  for (const char* message : {"From\r\n : a@corp.example\r\n\r\nx\r\n",
                              "From: a@corp.example\r\nNot a header line\r\n\r\nx\r\n",
                              " folded: first\r\nFrom: a@corp.example\r\n\r\nx\r\n"})
    EXPECT_EQ(signer.sign(message, 0).unsigned_reason, Unsigned::malformed_header) << message;
}

// Thousands of one field are signed 50 at most, in linear time (found in review: it was
// quadratic, and h= grew with every field).
TEST(DkimSigner, ManyInstancesOfAFieldAreCapped) {
  const auto key = DkimKey::generate_ed25519();
  const DkimSigner signer({entry("corp.example", "s", key)});
  std::string message = "From: a@corp.example\r\n";
  for (int i = 0; i < 40'000; ++i) message += "To: b@x.example\r\n";
  message += "\r\nbody\r\n";
  const auto result = signer.sign(message, 0);
  ASSERT_EQ(result.signatures.size(), 1u);
  EXPECT_EQ(tag(result.fields, "h"), "from:from:" + [] {
    std::string names;
    for (int i = 0; i < 50; ++i) names += i == 0 ? "to" : ":to";
    return names;
  }());
  EXPECT_LT(result.fields.size(), 2000u);
}

TEST(DkimSigner, AnInternationalisedAuthorDomainMatchesItsALabel) {
  const DkimSigner signer({entry("xn--bcher-kva.example", "s", DkimKey::generate_ed25519())});
  const auto result = signer.sign(
      "From: anna@B\xc3\xbc"
      "cher.example\r\n\r\nx\r\n",
      0);
  ASSERT_EQ(result.signatures.size(), 1u);
  EXPECT_EQ(result.signatures[0].domain, "xn--bcher-kva.example");
}

}  // namespace
}  // namespace mxrelay::mta::dkim
