// core: log output to stderr or, under systemd, natively to the journal.
#include "log_output.hpp"

#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <vector>

namespace mxrelay::core {

namespace {

bool journal_on_stderr() {
  static const bool detected = [] {
    const char* stream = std::getenv("JOURNAL_STREAM");
    struct stat st {};
    if (stream == nullptr || ::fstat(STDERR_FILENO, &st) != 0) return false;
    return stderr_is_journal(stream, st.st_dev, st.st_ino);
  }();
  return detected;
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "localhost";
  std::string host = name;
  return host.substr(0, host.find('.'));
}

void write_stderr(std::string_view text) {
  while (!text.empty()) {
    const auto written = ::write(STDERR_FILENO, text.data(), text.size());
    if (written <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(written));
  }
}

bool send_to_journal(const LogEvent& event, const LogRecord& record) {
  std::vector<std::string> fields{
      "MESSAGE=" + record.message,
      "PRIORITY=" + std::to_string(syslog_priority(event.severity)),
      "SYSLOG_IDENTIFIER=" + record.program,
      "SYSLOG_PID=" + std::to_string(::getpid()),
      "MXRELAY_EVENT=" + event.name,
  };
  if (const auto* id = event.find("queue_id"); id && !id->empty())
    fields.push_back("MXRELAY_QUEUE_ID=" + *id);
  std::vector<iovec> vectors;
  for (auto& field : fields) vectors.push_back({field.data(), field.size()});
  return sd_journal_sendv(vectors.data(), static_cast<int>(vectors.size())) == 0;
}

}  // namespace

bool stderr_is_journal(std::string_view journal_stream, unsigned long long device,
                       unsigned long long inode) {
  const auto colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  unsigned long long stream_device = 0;
  unsigned long long stream_inode = 0;
  const auto* first = journal_stream.data();
  const auto* middle = first + colon;
  const auto* last = first + journal_stream.size();
  const auto parsed_device = std::from_chars(first, middle, stream_device);
  const auto parsed_inode = std::from_chars(middle + 1, last, stream_inode);
  return parsed_device.ec == std::errc() && parsed_device.ptr == middle &&
         parsed_inode.ec == std::errc() && parsed_inode.ptr == last && colon > 0 &&
         stream_device == device && stream_inode == inode;
}

void write_log(const LogEvent& event) {
  const auto format = log_format();
  if (journal_on_stderr()) {
    for (const auto& record : render_records(event, format))
      if (!send_to_journal(event, record))
        write_stderr("<" + std::to_string(syslog_priority(event.severity)) + ">" + record.message +
                     "\n");
    return;
  }
  static const std::string host = host_name();
  write_stderr(render_lines(event, format, std::chrono::system_clock::now(),
                            static_cast<int>(::getpid()), host));
}

}  // namespace mxrelay::core
