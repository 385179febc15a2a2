// mta/tls_report: the counter store's file under the spool (spool/tls-report/state.json).
// Saved whole and durably: a temporary file, fsync, rename over the old one, fsync of the
// folder. A missing file starts a fresh store; a file that does not parse is logged
// (tls_report_store_corrupt), set aside as state.json.corrupt-UNIXTIME and a fresh store
// starts: never fatal.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <string>

#include "mta/tls_report/report_store.hpp"

namespace mxrelay::mta::tlsrpt {

std::filesystem::path store_file(const std::filesystem::path& spool_dir);

// now: Unix seconds, the begin of a fresh store's period.
ReportStore load_store(const std::filesystem::path& file, std::int64_t now);
std::expected<void, std::string> save_store(const std::filesystem::path& file,
                                            const ReportStore& store);

}  // namespace mxrelay::mta::tlsrpt
