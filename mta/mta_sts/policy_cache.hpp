// mta/mta_sts: the on-disk cache of fetched MTA-STS policies (RFC 8461 section 5.1), one file
// per policy domain in QUEUE_DIR/mta-sts/, so that a restart keeps them. A cached policy is
// the body as fetched, its TXT id and when it was fetched; it is valid for max_age seconds
// from then. The file format (encode_cached / decode_cached, pure):
//   mxrelay-mta-sts 1\n  id ID\n  fetched UNIX_SECONDS\n  \n  BODY
// Writes go to a temporary file renamed over the old one; a file that cannot be read or
// decoded is no cached policy. With a PolicyMemory, a domain's file is read once and then
// answered from memory; a store updates both.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "mta/mta_sts/sts_policy.hpp"

namespace mxrelay::mta::sts {

struct CachedPolicy {
  std::string id;               // the _mta-sts TXT id the body was fetched for
  std::int64_t fetched_at = 0;  // Unix seconds
  std::string body;
  Policy policy;  // parsed from body

  std::int64_t expires_at() const { return fetched_at + policy.max_age; }
  bool fresh_at(std::int64_t now) const { return now < expires_at(); }
};

std::string encode_cached(const CachedPolicy& cached);
std::expected<CachedPolicy, std::string> decode_cached(std::string_view text);

class PolicyMemory;

class PolicyCache {
 public:
  // dir: the folder of the cache files (created on the first store). memory: kept by the
  // caller, outliving the cache; none: every load reads the file.
  explicit PolicyCache(std::filesystem::path dir, PolicyMemory* memory = nullptr)
      : dir_(std::move(dir)), memory_(memory) {}

  const std::filesystem::path& dir() const { return dir_; }
  // domain: canonical A-label form.
  std::optional<CachedPolicy> load(std::string_view domain) const;
  // The reason when the file could not be written.
  std::expected<void, std::string> store(std::string_view domain, const CachedPolicy& cached) const;

 private:
  std::filesystem::path file_of(std::string_view domain) const;

  std::optional<CachedPolicy> read_file(std::string_view domain) const;

  std::filesystem::path dir_;
  PolicyMemory* memory_;
};

}  // namespace mxrelay::mta::sts
