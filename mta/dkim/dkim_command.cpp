// mta/dkim: run_dkim_command().
#include "mta/dkim/dkim_command.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/load_config.hpp"
#include "core/domain_name.hpp"
#include "mta/dkim/dkim_key.hpp"
#include "mta/dkim/dkim_record.hpp"
#include "resolver/unbound_client.hpp"

namespace mxrelay::mta::dkim {

namespace {

namespace asio = boost::asio;

constexpr const char* kUsage =
    "usage: mxrelay dkim keygen DOMAIN SELECTOR [--ed25519] [--bits N] [--out FILE]\n"
    "       mxrelay dkim check [-c FILE] DOMAIN SELECTOR\n";

struct Options {
  std::vector<std::string> positional;
  std::string config;
  std::string out;
  bool ed25519 = false;
  unsigned bits = 2048;
};

std::optional<Options> parse(int argc, char** argv, const char* default_config) {
  Options options;
  options.config = default_config;
  for (int i = 3; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "-c" || arg == "--config") && i + 1 < argc) {
      options.config = argv[++i];
    } else if (arg == "--out" && i + 1 < argc) {
      options.out = argv[++i];
    } else if (arg == "--ed25519") {
      options.ed25519 = true;
    } else if (arg == "--bits" && i + 1 < argc) {
      const std::string bits = argv[++i];
      if (bits.empty() || bits.find_first_not_of("0123456789") != std::string::npos ||
          bits.size() > 5)
        return std::nullopt;
      options.bits = static_cast<unsigned>(std::stoul(bits));
    } else if (arg.starts_with("-")) {
      return std::nullopt;
    } else {
      options.positional.emplace_back(arg);
    }
  }
  if (options.positional.size() != 2) return std::nullopt;
  return options;
}

// Writes `text` to a new file of mode 0600; false (message printed) when it exists or fails.
bool write_new_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::cerr << "mxrelay: cannot create " << path << ": " << std::strerror(errno)
              << (errno == EEXIST ? " (an existing key is never overwritten)" : "") << "\n";
    return false;
  }
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t count = ::write(fd, text.data() + written, text.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) break;
    written += static_cast<std::size_t>(count);
  }
  const bool ok = written == text.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) std::cerr << "mxrelay: cannot write " << path << ": " << std::strerror(errno) << "\n";
  return ok;
}

int keygen(const Options& options) {
  const auto domain = core::canonical_domain(options.positional[0]);
  const auto& selector = options.positional[1];
  if (!options.ed25519 && (options.bits < 2048 || options.bits > 8192)) {
    std::cerr << "mxrelay: --bits must be 2048..8192 (RFC 8301 refuses shorter RSA keys)\n";
    return 2;
  }
  const auto key =
      options.ed25519 ? DkimKey::generate_ed25519() : DkimKey::generate_rsa(options.bits);
  const std::string path =
      options.out.empty() ? "/etc/mxrelay/dkim/" + domain + "." + selector + ".pem" : options.out;
  if (!write_new_file(path, key.private_pem())) return 1;
  std::cout << "wrote " << path << " ("
            << (options.ed25519 ? std::string("Ed25519")
                                : "RSA " + std::to_string(options.bits) + " bits")
            << ", mode 0600; chown it to the user mxrelay runs as)\n\n"
            << "Publish this TXT record in the zone of " << domain << ":\n\n  "
            << zone_file_record(selector, domain, key) << "\n\n"
            << "and add to mxrelay.toml:\n\n  [[dkim]]\n  domain = \"" << domain
            << "\"\n  selector = \"" << selector << "\"\n  key_file = \"" << path << "\"\n";
  return 0;
}

int check(const Options& options) {
  auto config = conf::load_config(options.config);
  if (!config) {
    for (const auto& error : config.error()) std::cerr << error.str() << "\n";
    return 1;
  }
  const auto domain = core::canonical_domain(options.positional[0]);
  const auto& selector = options.positional[1];
  const conf::DkimEntry* entry = nullptr;
  for (const auto& candidate : config->dkim)
    if (candidate.domain == domain && candidate.selector == selector) entry = &candidate;
  if (entry == nullptr) {
    std::cerr << "mxrelay: " << options.config << " has no [[dkim]] entry for domain " << domain
              << " with selector " << selector << "\n";
    return 1;
  }
  auto key = DkimKey::from_pem(entry->key_pem);
  if (!key) {
    std::cerr << "mxrelay: " << entry->key_file.string() << ": " << key.error() << "\n";
    return 1;
  }
  asio::io_context io(1);
  resolver::UnboundClient dns(io.get_executor(), config->dns);
  const auto name = record_name(selector, domain);
  auto future = asio::co_spawn(io, dns.query(name, resolver::RrType::txt), asio::use_future);
  io.run();
  const auto answer = future.get();
  std::cout << name << " TXT: " << resolver::to_string(answer.outcome) << " ("
            << answer.resolver_path << ")\n";
  for (const auto& text : answer.texts) std::cout << "  \"" << text << "\"\n";
  if (resolver::is_temporary(answer.outcome)) {
    std::cout << "cannot tell: the lookup failed" << (answer.error_text.empty() ? "" : ": ")
              << answer.error_text << "\n";
    return 1;
  }
  const auto verdict = check_record(answer.texts, *key);
  std::cout << describe(verdict) << "\n";
  if (verdict != RecordVerdict::matches)
    std::cout << "publish:\n  " << zone_file_record(selector, domain, *key) << "\n";
  return verdict == RecordVerdict::matches ? 0 : 1;
}

}  // namespace

int run_dkim_command(int argc, char** argv, const char* default_config) {
  const std::string_view action = argc >= 3 ? argv[2] : "";
  auto options = parse(argc, argv, default_config);
  if (!options || (action != "keygen" && action != "check")) {
    std::cerr << kUsage;
    return 2;
  }
  try {
    return action == "keygen" ? keygen(*options) : check(*options);
  } catch (const std::exception& error) {
    std::cerr << "mxrelay: " << error.what() << "\n";
    return 1;
  }
}

}  // namespace mxrelay::mta::dkim
