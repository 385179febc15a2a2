// mta: the standard process metrics of Prometheus clients (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc at each scrape, so CPU, memory
// and descriptor use can be graphed and alerted on like any exporter's.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/metric_type.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace mxrelay::mta {

// What /proc/self/stat says (proc(5) fields 14, 15, 22, 23, 24), in its units.
struct ProcStat {
  std::uint64_t user_ticks = 0;
  std::uint64_t system_ticks = 0;
  std::uint64_t start_ticks = 0;  // after boot
  std::uint64_t virtual_bytes = 0;
  std::uint64_t resident_pages = 0;
};

// nullopt when the text is not a stat line (the command name may hold spaces and ')').
std::optional<ProcStat> parse_proc_stat(std::string_view text);

class ProcessMetrics : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

}  // namespace mxrelay::mta
