// mta/dkim: DkimSigner.
#include "mta/dkim/dkim_signer.hpp"

#include <stdexcept>

#include "conf/idna.hpp"
#include "mta/dkim/dkim_signature.hpp"
#include "mta/protocol/header_fields.hpp"

namespace mxrelay::mta::dkim {

namespace {

bool within(std::string_view domain, std::string_view parent) {
  return domain == parent || (domain.size() > parent.size() && domain.ends_with(parent) &&
                              domain[domain.size() - parent.size() - 1] == '.');
}

}  // namespace

DkimSigner::DkimSigner(const std::vector<conf::DkimEntry>& entries) {
  for (const auto& entry : entries) {
    auto key = DkimKey::from_pem(entry.key_pem);
    if (!key)
      throw std::runtime_error(entry.where + ": dkim key " + entry.key_file.string() + ": " +
                               key.error());
    keys_.push_back({entry.domain, entry.selector, std::move(*key), entry.headers});
  }
}

SigningResult DkimSigner::sign(std::string_view message, std::int64_t now_unix) const {
  SigningResult result;
  const auto parts = split_message(message);
  if (parts.malformed) {
    result.unsigned_reason = Unsigned::malformed_header;
    return result;
  }
  const auto author = author_domain(parts);
  if (!author) {
    result.unsigned_reason = author.error();
    return result;
  }
  // The configured domains are A-labels; an internationalised author domain is compared so.
  const auto a_label = conf::to_a_label_domain(*author);
  const std::string domain = a_label ? *a_label : *author;
  const Key* best = nullptr;
  for (const auto& key : keys_)
    if (within(domain, key.domain) && (best == nullptr || key.domain.size() > best->domain.size()))
      best = &key;
  if (best == nullptr) {
    result.unsigned_reason = Unsigned::no_key;
    return result;
  }
  const std::string hash = body_hash(parts.body);
  for (const auto& key : keys_) {
    if (key.domain != best->domain) continue;
    result.fields += signature_field({.domain = key.domain,
                                      .selector = key.selector,
                                      .key = &key.key,
                                      .headers = key.headers,
                                      .timestamp = now_unix,
                                      .body_hash = hash},
                                     parts);
    result.signatures.push_back({key.domain, key.key.algorithm_name()});
  }
  return result;
}

}  // namespace mxrelay::mta::dkim
