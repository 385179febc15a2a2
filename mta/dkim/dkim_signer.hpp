// mta/dkim: the relay's DKIM signing as configured by [[dkim]]: the entries whose domain is
// the most specific match of the author's domain (the From: domain itself or a parent) each
// add one signature, so an RSA and an Ed25519 key for one domain give two. Pure apart from
// the keys' cryptography; the caller passes the time and counts the outcome.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.hpp"
#include "mta/dkim/author_domain.hpp"
#include "mta/dkim/dkim_key.hpp"

namespace mxrelay::mta::dkim {

struct Signature {
  std::string domain;          // d=
  std::string_view algorithm;  // a=
};

struct SigningResult {
  std::string fields;  // the DKIM-Signature fields to put before the message; "" unsigned
  std::vector<Signature> signatures;
  std::optional<Unsigned> unsigned_reason;  // set exactly when nothing was signed
};

class DkimSigner {
 public:
  DkimSigner() = default;
  // The keys were checked when the configuration was read; a key OpenSSL still refuses here
  // throws std::runtime_error (a start-up or reload failure).
  explicit DkimSigner(const std::vector<conf::DkimEntry>& entries);

  bool empty() const { return keys_.empty(); }
  SigningResult sign(std::string_view message, std::int64_t now_unix) const;

 private:
  struct Key {
    std::string domain;
    std::string selector;
    DkimKey key;
    std::vector<std::string> headers;
  };
  std::vector<Key> keys_;
};

}  // namespace mxrelay::mta::dkim
