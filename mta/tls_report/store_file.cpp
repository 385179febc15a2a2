// mta/tls_report: loading and saving the counter store (see store_file.hpp).
#include "mta/tls_report/store_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/log_line.hpp"

namespace mxrelay::mta::tlsrpt {

namespace fs = std::filesystem;

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

bool fsync_path(const fs::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

fs::path store_file(const fs::path& spool_dir) {
  return spool_dir / "tls-report" / "state.json";
}

ReportStore load_store(const fs::path& file, std::int64_t now) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return ReportStore(now);
  std::ostringstream text;
  text << in.rdbuf();
  auto store = ReportStore::parse(text.str());
  if (store) return std::move(*store);
  auto aside = file;
  aside += ".corrupt-" + std::to_string(now);
  std::error_code error;
  fs::rename(file, aside, error);
  core::LogLine("tls_report_store_corrupt", core::Severity::error)
      .kv("file", file.string())
      .kv("reason", store.error())
      .kv("moved_to", error ? std::string("(not moved: ") + error.message() + ")" : aside.string())
      .emit();
  return ReportStore(now);
}

std::expected<void, std::string> save_store(const fs::path& file, const ReportStore& store) {
  std::error_code error;
  fs::create_directories(file.parent_path(), error);
  if (error)
    return std::unexpected("cannot create " + file.parent_path().string() + ": " + error.message());
  auto temporary = file;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << store.serialize();
    out.flush();
    if (!out) return std::unexpected("cannot write " + temporary.string());
  }
  if (!fsync_path(temporary, O_RDONLY))
    return std::unexpected(errno_text("fsync " + temporary.string()));
  fs::rename(temporary, file, error);
  if (error) return std::unexpected("cannot rename " + temporary.string() + ": " + error.message());
  if (!fsync_path(file.parent_path(), O_RDONLY | O_DIRECTORY))
    return std::unexpected(errno_text("fsync " + file.parent_path().string()));
  return {};
}

}  // namespace mxrelay::mta::tlsrpt
