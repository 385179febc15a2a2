// queue: the committer thread of GroupCommitter.
#include "group_commit.hpp"

#include <utility>

namespace mxrelay::queue {

GroupCommitter::GroupCommitter(Sync sync, SpoolObserver* observer)
    : sync_(std::move(sync)), observer_(observer), thread_([this] { run(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  requested_.notify_one();
  thread_.join();
}

void GroupCommitter::request(std::size_t messages, Completion completion) {
  {
    std::lock_guard lock(mutex_);
    pending_.push_back({messages, std::move(completion)});
  }
  requested_.notify_one();
}

void GroupCommitter::run() {
  std::vector<Request> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      requested_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
      if (pending_.empty()) return;  // stopping, and nothing left to complete
      batch.swap(pending_);
    }
    commit(batch);
    batch.clear();
  }
}

void GroupCommitter::commit(std::vector<Request>& batch) {
  int error = sync_();
  std::size_t messages = 0;
  for (const auto& request : batch) messages += request.messages;
  if (observer_ != nullptr) {
    if (error != 0)
      observer_->on_disk_error("commit");
    else if (messages > 0)
      observer_->on_commit(messages, 1);
    else
      observer_->on_sync();
  }
  for (auto& request : batch) request.completion(error);
}

}  // namespace mxrelay::queue
