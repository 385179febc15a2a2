// mxrelay_load_generator: an open-loop SMTP load generator that measures acceptance
// latency. Messages fall due on a fixed schedule (rate per second) independent of the
// server's replies; K connections take due messages in order. A message's latency runs
// from the moment it fell due (not when a connection took it) to the 250 reply after its
// final dot, so a server that falls behind is charged for the queueing it causes.
// Prints one JSON object with the counts and latency percentiles on stdout.
//
// Usage: mxrelay_load_generator --server ADDR:PORT --rate R --messages N [--connections K]
//        [--size BYTES] [--from ADDR] [--to ADDR] [--drain-timeout SECONDS]
#include <algorithm>
#include <boost/asio.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string address = "127.0.0.1";
  std::string port = "2525";
  double rate = 100.0;
  std::size_t messages = 1000;
  std::size_t connections = 50;
  std::size_t size = 4096;
  std::string from = "load@source.bench.example";
  std::string to = "sink@sink.bench.example";
  double drain_timeout_seconds = 60.0;
};

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "mxrelay_load_generator: " << problem
            << "\nusage: mxrelay_load_generator --server ADDR:PORT --rate R --messages N"
               " [--connections K] [--size BYTES] [--from ADDR] [--to ADDR]"
               " [--drain-timeout SECONDS]\n";
  std::exit(2);
}

template <typename Number>
Number parse_number(std::string_view text, std::string_view name) {
  Number value{};
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value <= 0) {
    usage("bad value for " + std::string(name) + ": " + std::string(text));
  }
  return value;
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) usage("missing value after " + std::string(name));
    const std::string_view value = argv[i + 1];
    if (name == "--server") {
      const auto colon = value.rfind(':');
      if (colon == std::string_view::npos) usage("--server needs ADDR:PORT");
      options.address = std::string(value.substr(0, colon));
      options.port = std::string(value.substr(colon + 1));
    } else if (name == "--rate") {
      options.rate = parse_number<double>(value, name);
    } else if (name == "--messages") {
      options.messages = parse_number<std::size_t>(value, name);
    } else if (name == "--connections") {
      options.connections = parse_number<std::size_t>(value, name);
    } else if (name == "--size") {
      options.size = parse_number<std::size_t>(value, name);
    } else if (name == "--from") {
      options.from = value;
    } else if (name == "--to") {
      options.to = value;
    } else if (name == "--drain-timeout") {
      options.drain_timeout_seconds = parse_number<double>(value, name);
    } else {
      usage("unknown option " + std::string(name));
    }
  }
  return options;
}

// The DATA payload: a few headers and `size` bytes of 76-character lines, dot-terminated.
std::string message_text(const Options& options) {
  std::string text = "From: <" + options.from + ">\r\nTo: <" + options.to +
                     ">\r\nSubject: mxrelay load generator\r\n\r\n";
  const std::string line = std::string(76, 'x') + "\r\n";
  for (std::size_t body = 0; body < options.size; body += line.size()) {
    text += line;
  }
  text += ".\r\n";
  return text;
}

// Shared state of one run (single-threaded io_context: no locking).
struct Run {
  explicit Run(const Options& opts) : options(opts), payload(message_text(opts)) {}
  const Options& options;
  const std::string payload;
  std::deque<Clock::time_point> due;  // messages that fell due and no connection took yet
  std::vector<asio::steady_timer*> idle;
  bool schedule_done = false;
  std::vector<double> latencies_us;
  std::size_t failed = 0;
  std::size_t connection_errors = 0;
  Clock::time_point last_reply = Clock::now();

  void wake_one() {
    if (idle.empty()) return;
    idle.back()->cancel();
    idle.pop_back();
  }
  void wake_all() {
    for (auto* timer : idle) timer->cancel();
    idle.clear();
  }
};

// Completion token: the awaited operation's error goes into `error` instead of a throw.
auto into(boost::system::error_code& error) {
  return asio::redirect_error(asio::use_awaitable, error);
}

// One SMTP client connection: reads multi-line replies, returns the final reply code.
class Connection {
 public:
  Connection(asio::any_io_executor executor, Run& run) : socket_(executor), run_(run) {}

  asio::awaitable<bool> open(const tcp::resolver::results_type& endpoints) {
    boost::system::error_code error;
    co_await asio::async_connect(socket_, endpoints, into(error));
    if (error) co_return false;
    socket_.set_option(tcp::no_delay(true));
    const int greeting = co_await reply();
    if (greeting != 220) co_return false;
    const int ehlo = co_await command("EHLO load.bench.example\r\n");
    co_return ehlo == 250;
  }

  // MAIL, RCPT, DATA, payload: true when the final dot got a 2xx.
  asio::awaitable<std::optional<bool>> send_message() {
    const int mail = co_await command("MAIL FROM:<" + run_.options.from + ">\r\n");
    if (mail != 250) {
      const auto reset_outcome = co_await reset(mail);
      co_return reset_outcome;
    }
    const int rcpt = co_await command("RCPT TO:<" + run_.options.to + ">\r\n");
    if (rcpt != 250 && rcpt != 251) {
      const auto reset_outcome = co_await reset(rcpt);
      co_return reset_outcome;
    }
    const int data = co_await command("DATA\r\n");
    if (data != 354) {
      const auto reset_outcome = co_await reset(data);
      co_return reset_outcome;
    }
    const int dot = co_await exchange(asio::buffer(run_.payload));
    if (dot == 0) co_return std::nullopt;
    co_return dot / 100 == 2;
  }

  asio::awaitable<void> quit() {
    co_await command("QUIT\r\n");
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  // After a refused command: RSET so the connection can go on; nullopt if it broke.
  asio::awaitable<std::optional<bool>> reset(int code) {
    if (code == 0) co_return std::nullopt;
    const int rset = co_await command("RSET\r\n");
    if (rset != 250) co_return std::nullopt;
    co_return false;
  }

  // Sends one command line, returns the reply code (0 when the connection failed).
  asio::awaitable<int> command(std::string line) {
    request_ = std::move(line);
    const int code = co_await exchange(asio::buffer(request_));
    co_return code;
  }

  // Sends `bytes` (which must outlive the call), returns the reply code (0: connection failed).
  asio::awaitable<int> exchange(asio::const_buffer bytes) {
    boost::system::error_code error;
    co_await asio::async_write(socket_, bytes, into(error));
    if (error) co_return 0;
    const int code = co_await reply();
    co_return code;
  }

  asio::awaitable<int> reply() {
    for (;;) {
      boost::system::error_code error;
      const std::size_t length = co_await asio::async_read_until(
          socket_, asio::dynamic_buffer(buffer_), "\r\n", into(error));
      if (error || length < 4) co_return 0;
      const std::string_view line(buffer_.data(), length);
      int code = 0;
      std::from_chars(line.data(), line.data() + 3, code);
      const bool last = line[3] != '-';
      buffer_.erase(0, length);
      if (last) co_return code;
    }
  }

  tcp::socket socket_;
  Run& run_;
  std::string request_;
  std::string buffer_;
};

asio::awaitable<void> worker(Run& run, std::shared_ptr<Connection> connection,
                             tcp::resolver::results_type endpoints) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer wake(executor);
  for (;;) {
    if (run.due.empty()) {
      if (run.schedule_done) break;
      run.idle.push_back(&wake);
      wake.expires_at(Clock::time_point::max());
      boost::system::error_code woken;  // operation_aborted: cancel() is the wake-up call
      co_await wake.async_wait(into(woken));
      continue;
    }
    const Clock::time_point due = run.due.front();
    run.due.pop_front();
    const std::optional<bool> accepted = co_await connection->send_message();
    run.last_reply = Clock::now();
    if (accepted.value_or(false)) {
      const auto latency = std::chrono::duration<double, std::micro>(run.last_reply - due);
      run.latencies_us.push_back(latency.count());
    } else {
      ++run.failed;
    }
    if (!accepted) {
      ++run.connection_errors;
      connection = std::make_shared<Connection>(executor, run);
      const bool reopened = co_await connection->open(endpoints);
      if (!reopened) co_return;
    }
  }
  co_await connection->quit();
}

asio::awaitable<void> schedule(Run& run, Clock::time_point start) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const std::chrono::duration<double> interval(1.0 / run.options.rate);
  for (std::size_t i = 0; i < run.options.messages; ++i) {
    const auto due = start + std::chrono::duration_cast<Clock::duration>(interval * double(i));
    if (due > Clock::now()) {
      timer.expires_at(due);
      boost::system::error_code ignored;
      co_await timer.async_wait(into(ignored));
    }
    run.due.push_back(due);
    run.wake_one();
  }
  run.schedule_done = true;
  run.wake_all();
}

double percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<std::size_t>(std::ceil(fraction * double(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

asio::awaitable<void> run_load(Run& run, Clock::time_point& start) {
  auto executor = co_await asio::this_coro::executor;
  tcp::resolver resolver(executor);
  const auto endpoints =
      co_await resolver.async_resolve(run.options.address, run.options.port, asio::use_awaitable);
  std::vector<std::shared_ptr<Connection>> connections;
  for (std::size_t i = 0; i < run.options.connections; ++i) {
    auto connection = std::make_shared<Connection>(executor, run);
    const bool opened = co_await connection->open(endpoints);
    if (!opened) throw std::runtime_error("cannot open SMTP connection " + std::to_string(i));
    connections.push_back(std::move(connection));
  }
  start = Clock::now() + std::chrono::milliseconds(50);
  for (auto& connection : connections) {
    asio::co_spawn(executor, worker(run, connection, endpoints), asio::detached);
  }
  asio::co_spawn(executor, schedule(run, start), asio::detached);
}

// elapsed_s runs from the first due time to the last reply.
void print_report(const Run& run, Clock::time_point start) {
  std::vector<double> sorted = run.latencies_us;
  std::sort(sorted.begin(), sorted.end());
  const double elapsed = std::chrono::duration<double>(run.last_reply - start).count();
  const auto ms = [&](double fraction) { return percentile(sorted, fraction) / 1000.0; };
  std::printf(
      "{\"offered_rate\": %.1f, \"messages\": %zu, \"accepted\": %zu, \"failed\": %zu, "
      "\"unfinished\": %zu, \"connection_errors\": %zu, \"connections\": %zu, \"size\": %zu, "
      "\"elapsed_s\": %.3f, \"accepted_rate\": %.1f, \"latency_ms\": {\"p50\": %.3f, "
      "\"p90\": %.3f, \"p99\": %.3f, \"p99.9\": %.3f, \"max\": %.3f}}\n",
      run.options.rate, run.options.messages, sorted.size(), run.failed,
      run.options.messages - sorted.size() - run.failed, run.connection_errors,
      run.options.connections, run.options.size, elapsed,
      elapsed > 0 ? double(sorted.size()) / elapsed : 0.0, ms(0.5), ms(0.9), ms(0.99), ms(0.999),
      sorted.empty() ? 0.0 : sorted.back() / 1000.0);
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  asio::io_context io(1);
  Run run(options);
  Clock::time_point start = Clock::now();
  asio::co_spawn(io, run_load(run, start), [](std::exception_ptr error) {
    if (error) std::rethrow_exception(error);
  });
  const auto schedule_length =
      std::chrono::duration<double>(double(options.messages) / options.rate);
  const auto deadline = std::chrono::duration_cast<Clock::duration>(
      schedule_length + std::chrono::duration<double>(options.drain_timeout_seconds));
  try {
    io.run_for(deadline);
  } catch (const std::exception& error) {
    std::cerr << "mxrelay_load_generator: " << error.what() << "\n";
    return 1;
  }
  print_report(run, start);
  return run.latencies_us.size() + run.failed == options.messages ? 0 : 1;
}
