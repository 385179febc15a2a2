// mta/inbound: the credentials file writer behind `mxrelay passwd`.
#include "mta/inbound/passwd_command.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "mta/inbound/credentials.hpp"

namespace mxrelay::mta {

namespace {

// The file's lines with USER's line replaced (or appended).
std::string updated_file(const std::string& existing, const std::string& user,
                         const std::string& entry) {
  std::istringstream lines(existing);
  std::string line, out;
  bool replaced = false;
  while (std::getline(lines, line)) {
    if (line.starts_with(user + ":")) {
      if (replaced) continue;
      line = entry;
      replaced = true;
    }
    out += line + "\n";
  }
  if (!replaced) out += entry + "\n";
  return out;
}

bool write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes text to file through file.tmp (mode 0600), fsync and rename.
bool replace_file(const std::filesystem::path& file, const std::string& text) {
  std::filesystem::path temporary = file;
  temporary += ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool ok = ::fchmod(fd, 0600) == 0 && write_all(fd, text) && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (ok) ok = ::rename(temporary.c_str(), file.c_str()) == 0;
  if (!ok) ::unlink(temporary.c_str());
  return ok;
}

// One line from a terminal with echo off, after `prompt` (on the terminal, through stderr).
std::optional<std::string> read_hidden_line(const char* prompt) {
  termios saved{};
  const bool terminal = ::tcgetattr(STDIN_FILENO, &saved) == 0;
  if (terminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::cerr << prompt << std::flush;
  std::string line;
  const bool read = static_cast<bool>(std::getline(std::cin, line));
  if (terminal) {
    ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::cerr << "\n";
  }
  if (!read) return std::nullopt;
  if (line.ends_with('\r')) line.pop_back();
  return line;
}

// The password: on a terminal asked twice without echo, else the first line of stdin.
std::optional<std::string> read_password() {
  if (!::isatty(STDIN_FILENO)) {
    std::string line;
    if (!std::getline(std::cin, line)) {
      std::cerr << "mxrelay passwd: no password on stdin\n";
      return std::nullopt;
    }
    if (line.ends_with('\r')) line.pop_back();
    return line;
  }
  auto first = read_hidden_line("Password: ");
  auto again = first ? read_hidden_line("Again: ") : std::nullopt;
  if (!first || !again) {
    std::cerr << "mxrelay passwd: no password given\n";
    return std::nullopt;
  }
  if (*first != *again) {
    std::cerr << "mxrelay passwd: the passwords differ; nothing written\n";
    return std::nullopt;
  }
  return first;
}

}  // namespace

int run_passwd_command(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: mxrelay passwd FILE USER   (the password asked twice on a terminal, "
                 "else read from stdin)\n";
    return 2;
  }
  std::filesystem::path file = argv[2];
  std::string user = argv[3];
  if (!is_valid_username(user)) {
    std::cerr << "mxrelay passwd: invalid user name (printable ASCII, no ':' or spaces)\n";
    return 1;
  }
  auto read = read_password();
  if (!read) return 1;
  const std::string password = std::move(*read);
  if (password.empty()) {
    std::cerr << "mxrelay passwd: empty password refused\n";
    return 1;
  }
  std::string existing;
  if (std::filesystem::exists(file)) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    existing = text.str();
  }
  std::string entry = user + ":" + format_password_hash(new_password_hash(password));
  if (!replace_file(file, updated_file(existing, user, entry))) {
    std::cerr << "mxrelay passwd: cannot write " << file.string() << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  std::cout << "mxrelay passwd: " << user << " written to " << file.string() << "\n";
  return 0;
}

}  // namespace mxrelay::mta
