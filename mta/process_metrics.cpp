// mta: ProcessMetrics and parse_proc_stat().
#include "mta/process_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace mxrelay::mta {

namespace {

std::string read_file(const char* path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Seconds since the epoch at boot: the "btime" line of /proc/stat.
double boot_time() {
  const std::string stat = read_file("/proc/stat");
  const auto line = stat.find("\nbtime ");
  if (line == std::string::npos) return 0;
  return std::strtod(stat.c_str() + line + 7, nullptr);
}

prometheus::MetricFamily family(const char* name, const char* help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter)
    metric.counter.value = value;
  else
    metric.gauge.value = value;
  return {name, help, type, {metric}};
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
  const auto close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[0] is proc(5)'s field 3, the state
  for (std::size_t pos = close + 1; pos < text.size();) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
    const auto end = text.find_first_of(" \n", pos);
    if (pos < text.size()) fields.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  if (fields.size() < 22) return std::nullopt;
  auto number = [&](std::size_t field, std::uint64_t& out) {
    const auto text = fields[field - 3];
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return error == std::errc{} && end == text.data() + text.size();
  };
  ProcStat stat;
  if (!number(14, stat.user_ticks) || !number(15, stat.system_ticks) ||
      !number(22, stat.start_ticks) || !number(23, stat.virtual_bytes) ||
      !number(24, stat.resident_pages))
    return std::nullopt;
  return stat;
}

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> families;
  const auto stat = parse_proc_stat(read_file("/proc/self/stat"));
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  if (stat && ticks > 0) {
    families.push_back(family("process_cpu_seconds_total", "User and system CPU time, seconds.",
                              MetricType::Counter,
                              static_cast<double>(stat->user_ticks + stat->system_ticks) / ticks));
    families.push_back(
        family("process_start_time_seconds", "Start time of the process since the epoch, seconds.",
               MetricType::Gauge, boot_time() + static_cast<double>(stat->start_ticks) / ticks));
    families.push_back(family("process_virtual_memory_bytes", "Virtual memory size, bytes.",
                              MetricType::Gauge, static_cast<double>(stat->virtual_bytes)));
    families.push_back(family(
        "process_resident_memory_bytes", "Resident memory size, bytes.", MetricType::Gauge,
        static_cast<double>(stat->resident_pages) * static_cast<double>(::sysconf(_SC_PAGESIZE))));
  }
  std::error_code error;
  std::size_t open = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", error), end; !error && it != end;
       it.increment(error))
    ++open;
  families.push_back(family("process_open_fds", "Open file descriptors.", MetricType::Gauge,
                            static_cast<double>(open)));
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
    families.push_back(family("process_max_fds", "Maximum number of open file descriptors.",
                              MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  return families;
}

}  // namespace mxrelay::mta
