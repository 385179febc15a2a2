// bench/spool_engines: mxrelay_spool_engines_bench, the spike of issue 14. Runs the same
// workload against each candidate spool engine (today's file per message, RocksDB, a segment
// log of our own) in a fresh folder: W writer threads (concurrent SMTP sessions) each store
// messages durably one after the other, and every message is removed (delivered) `lag`
// messages after it was stored. Prints one markdown row per run: messages/s, syncs per
// message, CPU per message (user and system, the whole process) and the store latency.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "queue/queue_id.hpp"
#include "spool_engine.hpp"

namespace mxrelay::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Settings {
  std::filesystem::path dir;
  std::vector<std::string> engines = {"file", "rocksdb", "segment", "segment-zeroed"};
  std::vector<std::size_t> sizes = {4096, 102400};
  std::vector<std::size_t> writers = {1, 50};
  std::size_t messages = 20000;       // per run, messages under 100 KiB
  std::size_t large_messages = 3000;  // per run, 100 KiB and more
  std::size_t lag = 10;               // removals trail the stores by this many per writer
};

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::vector<std::size_t> numbers(const std::string& text) {
  std::vector<std::size_t> out;
  for (const auto& item : split(text)) out.push_back(std::stoul(item));
  return out;
}

Settings parse(int argc, char** argv) {
  Settings settings;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--dir")
      settings.dir = value;
    else if (key == "--engines")
      settings.engines = split(value);
    else if (key == "--sizes")
      settings.sizes = numbers(value);
    else if (key == "--writers")
      settings.writers = numbers(value);
    else if (key == "--messages")
      settings.messages = std::stoul(value);
    else if (key == "--large-messages")
      settings.large_messages = std::stoul(value);
    else if (key == "--lag")
      settings.lag = std::stoul(value);
    else
      throw std::invalid_argument("unknown option " + key);
  }
  if (settings.dir.empty())
    throw std::invalid_argument(
        "usage: mxrelay_spool_engines_bench --dir DIR [--engines file,rocksdb,segment,"
        "segment-zeroed] [--sizes 4096,102400] [--writers 1,50] [--messages N] "
        "[--large-messages N] [--lag N]");
  return settings;
}

std::unique_ptr<SpoolEngine> make_engine(const std::string& name, const std::string& dir) {
  std::filesystem::create_directories(dir);
  if (name == "file") return make_file_per_message_engine(dir);
  if (name == "rocksdb") return make_rocksdb_engine(dir);
  if (name == "segment") return make_segment_log_engine(dir, false);
  if (name == "segment-zeroed") return make_segment_log_engine(dir, true);
  throw std::invalid_argument("unknown engine " + name);
}

// A message body of about `size` bytes in 76-character CRLF lines.
std::string body_of(std::size_t size) {
  std::string body = "Subject: spool engine benchmark\r\n\r\n";
  while (body.size() < size) body += std::string(76, 'x') + "\r\n";
  return body;
}

double cpu_microseconds(const timeval& time) {
  return time.tv_sec * 1e6 + time.tv_usec;
}

struct Run {
  double seconds = 0;
  double user_us = 0, system_us = 0;
  std::uint64_t syncs = 0;
  std::vector<double> latencies_us;
};

void write_messages(SpoolEngine& engine, std::size_t count, const std::string& body,
                    std::size_t lag, std::vector<double>& latencies) {
  std::deque<std::string> stored;
  queue::Envelope envelope;
  envelope.sender = "sender@bench.example";
  envelope.recipients = {"rcpt@bench.example"};
  envelope.client_address = "127.0.0.1";
  envelope.helo = "bench.example";
  for (std::size_t i = 0; i < count; ++i) {
    envelope.id = queue::new_queue_id();
    envelope.arrival_unix = std::time(nullptr);
    const auto started = Clock::now();
    engine.store(envelope, body);
    latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - started).count());
    stored.push_back(envelope.id);
    if (stored.size() > lag) {
      engine.remove(stored.front());
      stored.pop_front();
    }
  }
  for (const auto& id : stored) engine.remove(id);
}

Run run(SpoolEngine& engine, std::size_t messages, std::size_t writers, std::size_t size,
        std::size_t lag) {
  const auto body = body_of(size);
  std::vector<std::vector<double>> latencies(writers);
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  const auto syncs_before = engine.syncs();
  const auto started = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (std::size_t w = 0; w < writers; ++w)
      threads.emplace_back(
          [&, w] { write_messages(engine, messages / writers, body, lag, latencies[w]); });
  }
  Run out;
  out.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  getrusage(RUSAGE_SELF, &after);
  out.user_us = cpu_microseconds(after.ru_utime) - cpu_microseconds(before.ru_utime);
  out.system_us = cpu_microseconds(after.ru_stime) - cpu_microseconds(before.ru_stime);
  out.syncs = engine.syncs() - syncs_before;
  for (auto& part : latencies)
    out.latencies_us.insert(out.latencies_us.end(), part.begin(), part.end());
  std::sort(out.latencies_us.begin(), out.latencies_us.end());
  return out;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * sorted.size()))];
}

}  // namespace
}  // namespace mxrelay::bench

int main(int argc, char** argv) {
  using namespace mxrelay::bench;
  try {
    const auto settings = parse(argc, argv);
    std::printf(
        "| engine | size | writers | messages | msg/s | syncs/msg | user µs/msg | system µs/msg "
        "| store p50 µs | store p99 µs |\n|---|---|---|---|---|---|---|---|---|---|\n");
    for (const auto size : settings.sizes)
      for (const auto writers : settings.writers)
        for (const auto& name : settings.engines) {
          const auto messages =
              (size >= 102400 ? settings.large_messages : settings.messages) / writers * writers;
          const auto dir =
              settings.dir / (name + "-" + std::to_string(size) + "-" + std::to_string(writers));
          std::filesystem::remove_all(dir);
          Run result;
          {
            auto engine = make_engine(name, dir.string());
            result = run(*engine, messages, writers, size, settings.lag);
          }
          std::filesystem::remove_all(dir);
          const double n = static_cast<double>(messages);
          std::printf("| %s | %zu | %zu | %zu | %.0f | %.3f | %.1f | %.1f | %.0f | %.0f |\n",
                      name.c_str(), size, writers, messages, n / result.seconds,
                      static_cast<double>(result.syncs) / n, result.user_us / n,
                      result.system_us / n, percentile(result.latencies_us, 0.5),
                      percentile(result.latencies_us, 0.99));
          std::fflush(stdout);
        }
  } catch (const std::exception& error) {
    std::cerr << "mxrelay_spool_engines_bench: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
