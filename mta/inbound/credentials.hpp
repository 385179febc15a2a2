// mta/inbound: the AUTH credentials file and its password hashes. One line per user:
//   username:$pbkdf2-sha256$ITERATIONS$SALT$HASH
// with SALT and HASH in base64, the hash being PBKDF2-HMAC-SHA256 (OpenSSL) of the password
// with at least 100,000 iterations. Blank lines and lines starting with '#' are ignored.
// Parsing and verification are pure apart from the hashing; load_credentials() reads the
// file and refuses one that others than its owner may read or write.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta {

inline constexpr std::uint32_t kMinPasswordIterations = 100'000;
inline constexpr std::uint32_t kDefaultPasswordIterations = 600'000;  // OWASP 2023

struct PasswordHash {
  std::uint32_t iterations = kDefaultPasswordIterations;
  std::string salt;  // raw octets
  std::string hash;  // raw octets (32 for SHA-256)
};

// "$pbkdf2-sha256$600000$c2FsdA==$..." and back; parsing fails with a reason.
std::expected<PasswordHash, std::string> parse_password_hash(std::string_view text);
std::string format_password_hash(const PasswordHash& hash);

PasswordHash hash_password(std::string_view password, std::string_view salt,
                           std::uint32_t iterations);
// A fresh random 16-octet salt.
PasswordHash new_password_hash(std::string_view password,
                               std::uint32_t iterations = kDefaultPasswordIterations);
// Constant-time comparison of the derived key.
bool verify_password(const PasswordHash& hash, std::string_view password);

// A user name the file can hold: printable ASCII without ':' or spaces.
bool is_valid_username(std::string_view username);

class CredentialStore {
 public:
  // Every malformed line is reported as "line N: reason".
  static std::expected<CredentialStore, std::vector<std::string>> parse(std::string_view text);

  // False for an unknown user too, after the same work as for a known one.
  bool verify(std::string_view username, std::string_view password) const;
  std::size_t size() const { return users_.size(); }

 private:
  std::map<std::string, PasswordHash, std::less<>> users_;
};

// Reads and parses the file; fails with one message naming the file.
std::expected<CredentialStore, std::string> load_credentials(const std::filesystem::path& file);

}  // namespace mxrelay::mta
