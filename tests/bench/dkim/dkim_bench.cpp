// bench/dkim: signs the same message again and again with each key set and prints the CPU
// time per message (getrusage, so a busy machine slows the wall clock, not the figure) and
// the messages per second one core can sign. Usage: mxrelay_dkim_bench [MESSAGES] [BODY_BYTES]
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mta/dkim/dkim_signer.hpp"

namespace {

using namespace mxrelay;

double cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

conf::DkimEntry entry(const std::string& selector, const mta::dkim::DkimKey& key) {
  conf::DkimEntry out;
  out.domain = "corp.example";
  out.selector = selector;
  out.key_pem = key.private_pem();
  out.algorithm = key.algorithm();
  out.headers.assign(conf::kDefaultDkimHeaders.begin(), conf::kDefaultDkimHeaders.end());
  return out;
}

std::string message(std::size_t body_bytes) {
  std::string text =
      "From: Alice <alice@corp.example>\r\nTo: bob@dest.example\r\nSubject: benchmark\r\n"
      "Date: Thu, 03 Dec 2026 12:00:00 +0000\r\nMessage-ID: <bench@corp.example>\r\n"
      "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n";
  while (text.size() < body_bytes)
    text += "The quick brown fox jumps over the lazy dog 0123456789.\r\n";
  return text;
}

void run(const char* name, const mta::dkim::DkimSigner& signer, const std::string& text,
         int messages) {
  std::size_t sink = 0;
  const double start = cpu_seconds();
  for (int i = 0; i < messages; ++i) sink += signer.sign(text, 1796316632 + i).fields.size();
  const double per_message = (cpu_seconds() - start) / messages;
  std::printf("%-16s %8.1f us/message  %9.0f messages/s per core  (%zu octets of fields)\n", name,
              per_message * 1e6, 1.0 / per_message, sink / static_cast<std::size_t>(messages));
}

}  // namespace

int main(int argc, char** argv) {
  const int messages = argc > 1 ? std::atoi(argv[1]) : 2000;
  const std::size_t body = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 4096;
  const auto rsa = mta::dkim::DkimKey::generate_rsa(2048);
  const auto ed = mta::dkim::DkimKey::generate_ed25519();
  const std::string text = message(body);
  std::printf("%d messages of %zu octets\n", messages, text.size());
  run("rsa-sha256 2048", mta::dkim::DkimSigner({entry("rsa", rsa)}), text, messages);
  run("ed25519-sha256", mta::dkim::DkimSigner({entry("ed", ed)}), text, messages);
  run("both", mta::dkim::DkimSigner({entry("rsa", rsa), entry("ed", ed)}), text, messages);
  run("no key (unsigned)", mta::dkim::DkimSigner(std::vector<conf::DkimEntry>{}), text, messages);
  return 0;
}
