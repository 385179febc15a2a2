// core: where log lines go. On stderr by default; when stderr is a journald stream (the
// JOURNAL_STREAM device and inode match it, as systemd sets them for a service), each record
// goes to the journal natively instead (sd_journal_sendv): no timestamp or "mxrelay[pid]:" of
// our own (the journal adds them), the event's syslog priority (PRIORITY, so `journalctl -p
// warning` finds warnings and errors), SYSLOG_IDENTIFIER the record's program
// ("mxrelay/smtp" in the postfix format) and the fields MXRELAY_EVENT and MXRELAY_QUEUE_ID.
// When the journal refuses a record, it goes to stderr with a "<N>" priority prefix, which
// journald reads on its stream.
#pragma once

#include <string>
#include <string_view>

#include "log_event.hpp"
#include "log_format.hpp"

namespace mxrelay::core {

// True when JOURNAL_STREAM ("DEVICE:INODE") names the file stderr is.
bool stderr_is_journal(std::string_view journal_stream, unsigned long long device,
                       unsigned long long inode);

// Writes an event in the process-wide format to the journal or stderr (thread-safe).
void write_log(const LogEvent& event);

}  // namespace mxrelay::core
