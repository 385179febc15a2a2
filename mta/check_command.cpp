// mta: `mxrelay check` (see check_command.hpp).
#include "mta/check_command.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "conf/config_warnings.hpp"
#include "conf/load_config.hpp"
#include "mta/inbound/smtp_listener.hpp"

namespace mxrelay::mta {

namespace {

constexpr const char* kServiceUser = "mxrelay";  // the Debian package's user

// The relay creates and writes its spool folder: it, or the nearest folder above it that
// exists, must let the current user write and enter.
std::optional<std::string> spool_problem(const std::filesystem::path& dir) {
  auto existing = std::filesystem::absolute(dir);
  while (!std::filesystem::exists(existing) && existing.has_parent_path() &&
         existing != existing.parent_path())
    existing = existing.parent_path();
  if (::access(existing.c_str(), W_OK | X_OK) == 0) return std::nullopt;
  return "queue.dir " + dir.string() + ": " + existing.string() + ": " + std::strerror(errno);
}

// Everything the relay reads or writes at start-up, as the current user; prints each problem.
bool usable(const std::string& config_file, bool print_warnings) {
  auto config = conf::load_config(config_file);
  if (!config) {
    for (const auto& error : config.error()) std::cerr << error.str() << "\n";
    return false;
  }
  try {
    load_listener_secrets(*config);
  } catch (const std::runtime_error& error) {
    std::cerr << config_file << ": " << error.what() << "\n";
    return false;
  }
  if (auto problem = spool_problem(config->queue.dir)) {
    std::cerr << config_file << ": " << *problem << "\n";
    return false;
  }
  if (print_warnings)
    for (const auto& warning : conf::config_warnings(*config)) std::cerr << warning.str() << "\n";
  return true;
}

// Runs usable() in a child that has become `account`; its problems go to stderr as they are.
bool usable_as(const std::string& config_file, const passwd& account) {
  std::cout.flush();
  std::cerr.flush();
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    if (::initgroups(account.pw_name, account.pw_gid) != 0 || ::setgid(account.pw_gid) != 0 ||
        ::setuid(account.pw_uid) != 0) {
      std::cerr << "cannot become user " << account.pw_name << ": " << std::strerror(errno) << "\n";
      std::_Exit(1);
    }
    const bool ok = usable(config_file, false);
    std::cerr.flush();
    std::_Exit(ok ? 0 : 1);
  }
  int status = 0;
  while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int run_check_command(const std::string& config_file, const std::optional<std::string>& user) {
  if (!usable(config_file, true)) return 1;
  if (::geteuid() != 0) {
    if (user) {
      std::cerr << "mxrelay check: --user needs root\n";
      return 1;
    }
    std::cout << config_file << ": configuration is valid\n";
    return 0;
  }
  const std::string name = user.value_or(kServiceUser);
  const passwd* account = ::getpwnam(name.c_str());
  if (account == nullptr) {
    if (user) {
      std::cerr << "mxrelay check: no user " << name << "\n";
      return 1;
    }
    std::cout << config_file << ": configuration is valid (checked as root; there is no user "
              << name << " to check as: give the relay's user with --user)\n";
    return 0;
  }
  const passwd copy = *account;
  if (!usable_as(config_file, copy)) {
    std::cerr << config_file << ": the relay's user " << name
              << " cannot use this configuration (the lines above); root can\n";
    return 1;
  }
  std::cout << config_file << ": configuration is valid, also for user " << name << "\n";
  return 0;
}

}  // namespace mxrelay::mta
