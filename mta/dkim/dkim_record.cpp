// mta/dkim: record_name(), check_record(), describe() and zone_file_record().
#include "mta/dkim/dkim_record.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "mta/dkim/folding_whitespace.hpp"

namespace mxrelay::mta::dkim {

namespace {

// A colon-separated tag value (h=, s=) lists `wanted`, or "*" when any is allowed.
bool lists(std::string_view value, std::string_view wanted, bool star_allowed) {
  for (std::size_t start = 0; start <= value.size();) {
    const auto end = std::min(value.find(':', start), value.size());
    const auto item = trimmed(value.substr(start, end - start));
    if (item == wanted || (star_allowed && item == "*")) return true;
    start = end + 1;
  }
  return false;
}

// RFC 6376 3.2 tag=value list; nullopt when malformed or a tag repeats.
std::optional<std::map<std::string, std::string>> tags(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const auto end = text.find(';');
    const auto item = trimmed(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (item.empty()) continue;
    const auto equals = item.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const auto name = std::string(trimmed(item.substr(0, equals)));
    if (name.empty() || !out.emplace(name, trimmed(item.substr(equals + 1))).second)
      return std::nullopt;
  }
  return out;
}

}  // namespace

std::string record_name(std::string_view selector, std::string_view domain) {
  return std::string(selector) + "._domainkey." + std::string(domain);
}

RecordVerdict check_record(const std::vector<std::string>& texts, const DkimKey& key) {
  if (texts.empty()) return RecordVerdict::none;
  if (texts.size() > 1) return RecordVerdict::ambiguous;
  const auto record = tags(texts.front());
  if (!record) return RecordVerdict::malformed;
  // v=, when present, must be the first tag (RFC 6376 3.6.1).
  if (auto v = record->find("v");
      v != record->end() && (v->second != "DKIM1" || !trimmed(texts.front()).starts_with("v=")))
    return RecordVerdict::malformed;
  // Verifiers ignore a key restricted to other hash algorithms or other services.
  if (auto h = record->find("h"); h != record->end() && !lists(h->second, "sha256", false))
    return RecordVerdict::wrong_type;
  if (auto service = record->find("s");
      service != record->end() && !lists(service->second, "email", true))
    return RecordVerdict::wrong_type;
  const auto p = record->find("p");
  if (p == record->end()) return RecordVerdict::malformed;
  const auto public_key = without_whitespace(p->second);
  if (public_key.empty()) return RecordVerdict::revoked;
  const auto k = record->find("k");
  const std::string type = k == record->end() ? "rsa" : k->second;
  const bool rsa = key.algorithm() == conf::DkimAlgorithm::rsa_sha256;
  if (type != (rsa ? "rsa" : "ed25519")) return RecordVerdict::wrong_type;
  return public_key == key.public_key_base64() ? RecordVerdict::matches : RecordVerdict::other_key;
}

std::string describe(RecordVerdict verdict) {
  switch (verdict) {
    case RecordVerdict::matches:
      return "the record matches the configured key";
    case RecordVerdict::other_key:
      return "the record holds another public key than the configured one";
    case RecordVerdict::wrong_type:
      return "the record's k= names another algorithm than the configured key's";
    case RecordVerdict::revoked:
      return "the record revokes the key (empty p=)";
    case RecordVerdict::malformed:
      return "the TXT record is not a DKIM key record";
    case RecordVerdict::none:
      return "no TXT record is published there";
    case RecordVerdict::ambiguous:
      return "several TXT records are published there; verifiers fail on that";
  }
  return "unknown";
}

std::string zone_file_record(std::string_view selector, std::string_view domain,
                             const DkimKey& key) {
  const std::string text = key.dns_record();
  std::string out = record_name(selector, domain) + ". IN TXT (";
  for (std::size_t pos = 0; pos < text.size(); pos += 250)
    out += " \"" + text.substr(pos, 250) + "\"";
  out += " )";
  return out;
}

}  // namespace mxrelay::mta::dkim
