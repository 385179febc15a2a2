// tests/mta/outbound: helpers for integration tests with real peers on loopback: a free port, and a
// peer process that is ready once its port accepts connections and stops with the test.
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace mxrelay::mta::testing {

inline std::uint16_t free_port(const std::string& ip) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(ip), 0));
  return acceptor.local_endpoint().port();
}

inline bool accepts(const std::string& ip, std::uint16_t port) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket socket(io);
  boost::system::error_code error;
  socket.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address(ip), port), error);
  return !error;
}

class PeerProcess {
 public:
  PeerProcess(std::vector<std::string> argv, const std::string& ip, std::uint16_t port) {
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);
    if (posix_spawnp(&pid_, args[0], nullptr, nullptr, args.data(), environ) != 0) pid_ = 0;
    // Readiness: poll the port until the peer accepts connections.
    for (int i = 0; i < 200 && pid_ > 0 && !accepts(ip, port); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ~PeerProcess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  PeerProcess(const PeerProcess&) = delete;
  PeerProcess& operator=(const PeerProcess&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = 0;
};

}  // namespace mxrelay::mta::testing
