// mta/protocol: the DATA transmission of a stored message (RFC 5321 4.5.2): canonical CRLF lines,
// each line starting with "." gets another ".", then the end-of-data marker ".".
#pragma once

#include <string>
#include <string_view>

namespace mxrelay::mta {

// Appends data, dot-stuffed, to out in one pass, followed by ".\r\n". A last line without a
// line end gets CRLF. The stored data holds canonical CRLF lines; should it hold a bare CR or
// LF anyway, that is sent as CRLF too, so the output never contains anything but CRLF lines.
void append_dot_stuffed(std::string& out, std::string_view data);

}  // namespace mxrelay::mta
