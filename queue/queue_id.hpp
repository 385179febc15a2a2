// queue: queue identifiers. An id is 16 upper-case hex digits: the arrival time in
// microseconds (so ids sort by arrival) mixed with a per-process counter, unique within
// one spool. Ids are safe as file names and log values.
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::queue {

std::string new_queue_id();
bool is_queue_id(std::string_view text);

}  // namespace mxrelay::queue
