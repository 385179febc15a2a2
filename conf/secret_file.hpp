// conf: secrets (AUTH passwords, the AUTH credentials file, DKIM private keys) in files only
// their owner may access.
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>

namespace mxrelay::conf {

// The first line of `file` without its line ending (LF or CRLF). Refused, with a message
// that names the file, when it cannot be opened, is not a regular file, grants group or
// others any access (mode & 077; "... is readable by others (chmod 600)"), or holds an
// empty first line. The mode is checked on the opened file, so it is what was read.
std::expected<std::string, std::string> read_secret_file(const std::filesystem::path& file);

// The whole of `file` (a private key), with read_secret_file()'s access checks; refused
// when it is larger than max_size or empty.
std::expected<std::string, std::string> read_secret_text(const std::filesystem::path& file,
                                                         std::size_t max_size);

// The same checks as read_secret_file() but the first line's: the file can be opened, is
// regular, and grants group and others no access.
std::expected<void, std::string> check_secret_file(const std::filesystem::path& file);

}  // namespace mxrelay::conf
