// queue: group commit. Writers finish their (unsynced) writes on any thread and then ask for
// a commit; one committer thread takes every request made so far, makes them all durable with
// a single sync call, and completes each request with that call's result. Requests made while
// a sync runs wait for the next one, so a completed request is covered by a sync that started
// after its write finished. Completions run on the committer thread, in request order; they
// must be short (post to an executor). The destructor completes what is queued, then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "spool_observer.hpp"

namespace mxrelay::queue {

class GroupCommitter {
 public:
  // Makes every write finished so far durable; 0 or an errno value.
  using Sync = std::function<int()>;
  // Receives 0 or the errno of the failed sync.
  using Completion = std::move_only_function<void(int error)>;

  // observer may be null; it hears on_commit(stored messages, 1) for every sync that covered
  // a stored message, on_sync() for one that covered only other writes, and
  // on_disk_error("commit") for a failed sync.
  GroupCommitter(Sync sync, SpoolObserver* observer);
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;
  ~GroupCommitter();

  // messages: how many newly stored messages this request covers (0 for outcomes and the like).
  void request(std::size_t messages, Completion completion);

 private:
  struct Request {
    std::size_t messages = 0;
    Completion completion;
  };
  void run();
  void commit(std::vector<Request>& batch);

  Sync sync_;
  SpoolObserver* observer_;
  std::mutex mutex_;
  std::condition_variable requested_;
  std::vector<Request> pending_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace mxrelay::queue
