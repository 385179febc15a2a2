// mta/mta_sts: the relay's memory of its MTA-STS policy cache folder: what each domain's cache
// file held when the relay last read or wrote it (a policy, or that there is none), so that a
// delivery reads the disk only for a domain not seen since the start or the last reload. It is
// bounded: beyond `capacity` domains the longest-remembered is forgotten, and read from its
// file again when it is next needed. Not thread-safe: one per delivery agent.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "mta/mta_sts/policy_cache.hpp"

namespace mxrelay::mta::sts {

class PolicyMemory {
 public:
  explicit PolicyMemory(std::size_t capacity = 10000) : capacity_(capacity) {}

  // domain: canonical form. nullptr: not remembered (read the file); an empty optional: the
  // domain has no cached policy.
  const std::optional<CachedPolicy>* find(const std::string& domain) const;
  void remember(const std::string& domain, std::optional<CachedPolicy> cached);
  void forget_all();
  std::size_t size() const { return entries_.size(); }

 private:
  std::size_t capacity_;
  std::unordered_map<std::string, std::optional<CachedPolicy>> entries_;
  std::deque<std::string> order_;  // the remembered domains, oldest first
};

}  // namespace mxrelay::mta::sts
