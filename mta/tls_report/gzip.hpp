// mta/tls_report: gzip (RFC 1952) of a report with zlib, and its inverse (for checks and
// tests). Pure.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace mxrelay::mta::tlsrpt {

std::string gzip_compress(std::string_view data);
// The error when `data` is not one complete gzip stream, or inflates past max_size.
std::expected<std::string, std::string> gzip_decompress(std::string_view data,
                                                        std::size_t max_size = 16 << 20);

}  // namespace mxrelay::mta::tlsrpt
