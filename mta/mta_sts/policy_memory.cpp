// mta/mta_sts: the bounded in-memory layer over the MTA-STS policy cache folder.
#include "mta/mta_sts/policy_memory.hpp"

namespace mxrelay::mta::sts {

const std::optional<CachedPolicy>* PolicyMemory::find(const std::string& domain) const {
  const auto found = entries_.find(domain);
  return found == entries_.end() ? nullptr : &found->second;
}

void PolicyMemory::remember(const std::string& domain, std::optional<CachedPolicy> cached) {
  if (capacity_ == 0) return;
  if (auto found = entries_.find(domain); found != entries_.end()) {
    found->second = std::move(cached);
    return;
  }
  if (entries_.size() >= capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  entries_.emplace(domain, std::move(cached));
  order_.push_back(domain);
}

void PolicyMemory::forget_all() {
  entries_.clear();
  order_.clear();
}

}  // namespace mxrelay::mta::sts
