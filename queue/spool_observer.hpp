// queue: the hook through which the spool reports its disk work (for metrics), so the queue
// depends on no metrics library. Called from the disk threads; implementations must be
// thread-safe. The default implementation ignores all.
#pragma once

#include <cstddef>

namespace mxrelay::queue {

class SpoolObserver {
 public:
  virtual ~SpoolObserver() = default;
  // One durable commit (its data and directory syncs) covered `messages` stored messages.
  virtual void on_commit(std::size_t /*messages*/, std::size_t /*syncs*/) {}
  // Any other sync the spool made (per-recipient outcomes, hold markers, removals).
  virtual void on_sync() {}
  // A write, sync, rename or removal failed; operation names it ("store", "outcome", ...).
  virtual void on_disk_error(const char* /*operation*/) {}
};

}  // namespace mxrelay::queue
