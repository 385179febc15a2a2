// queue: generation and syntax of queue ids.
#include "queue_id.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>

namespace mxrelay::queue {

std::string new_queue_id() {
  static std::atomic<std::uint64_t> last{0};
  auto micros = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  // Strictly increasing even when the clock stalls or many ids are made per microsecond.
  std::uint64_t previous = last.load();
  std::uint64_t next;
  do {
    next = micros > previous ? micros : previous + 1;
  } while (!last.compare_exchange_weak(previous, next));
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llX", static_cast<unsigned long long>(next));
  return buf;
}

bool is_queue_id(std::string_view text) {
  if (text.size() != 16) return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace mxrelay::queue
