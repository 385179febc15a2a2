// bench/backlog: fills a spool folder with COUNT valid records (one recipient each, bodies of
// BODY_BYTES) through the spool's own write path, then makes them all durable with a single
// group commit. With --held every message also gets its hold marker (written unsynced, covered
// by the same commit). Usage: mxrelay_spool_fill DIR COUNT [BODY_BYTES] [DOMAIN] [--held]
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include "queue/queue_id.hpp"
#include "queue/spool.hpp"

namespace {

using namespace mxrelay;

std::string make_body(std::size_t bytes) {
  std::string body =
      "From: backlog@client.example\r\nTo: user@backlog.example\r\nSubject: backlog\r\n\r\n";
  while (body.size() + 2 < bytes) {
    auto line = std::min<std::size_t>(76, bytes - body.size() - 2);
    body.append(line, 'x');
    body += "\r\n";
  }
  return body;
}

int usage() {
  std::fprintf(stderr, "usage: mxrelay_spool_fill DIR COUNT [BODY_BYTES] [DOMAIN] [--held]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  bool held = !args.empty() && args.back() == "--held";
  if (held) args.pop_back();
  if (args.size() < 2 || args.size() > 4) return usage();
  const std::string dir(args[0]);
  const auto count = std::strtoull(std::string(args[1]).c_str(), nullptr, 10);
  const auto body_bytes =
      args.size() > 2 ? std::strtoull(std::string(args[2]).c_str(), nullptr, 10) : 1024ULL;
  const std::string domain(args.size() > 3 ? args[3] : "backlog.example");
  if (count == 0) return usage();

  queue::Spool spool(dir);
  const auto body = make_body(body_bytes);
  const auto started = std::chrono::steady_clock::now();
  queue::Envelope envelope;
  envelope.arrival_unix = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
  envelope.client_address = "127.0.0.1";
  envelope.helo = "client.example";
  envelope.sender = "backlog@client.example";
  for (unsigned long long n = 0; n < count; ++n) {
    envelope.id = queue::new_queue_id();
    envelope.recipients = {"user" + std::to_string(n) + "@" + domain};
    if (auto written = spool.write_record(envelope, body); !written) {
      std::fprintf(stderr, "write failed after %llu records: %s\n", n,
                   written.error().str().c_str());
      return 1;
    }
    if (held) {
      auto marker = dir + "/queue/" + envelope.id + ".hold";
      int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0) {
        std::perror(marker.c_str());
        return 1;
      }
      ::close(fd);
    }
  }
  std::promise<std::expected<void, core::Failure>> committed;
  spool.commit_record(envelope.id, [&](auto result) { committed.set_value(std::move(result)); });
  auto result = committed.get_future().get();
  if (!result) {
    std::fprintf(stderr, "commit failed: %s\n", result.error().str().c_str());
    return 1;
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("wrote %llu records of %llu body bytes in %.1f s\n", count, body_bytes, seconds);
  return 0;
}
