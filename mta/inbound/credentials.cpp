// mta/inbound: PBKDF2 password hashes and the credentials file.
#include "mta/inbound/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "mta/protocol/base64.hpp"

namespace mxrelay::mta {

namespace {

constexpr std::string_view kScheme = "$pbkdf2-sha256$";
constexpr std::size_t kSaltLength = 16;
constexpr std::size_t kHashLength = 32;
constexpr std::uint32_t kMaxIterations = 100'000'000;

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (;;) {
    std::size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

// Verifying an unknown user costs the same as a known one.
const PasswordHash& decoy_hash() {
  static const PasswordHash decoy =
      hash_password("", std::string(kSaltLength, '\0'), kDefaultPasswordIterations);
  return decoy;
}

}  // namespace

std::expected<PasswordHash, std::string> parse_password_hash(std::string_view text) {
  if (!text.starts_with(kScheme))
    return std::unexpected("unknown hash scheme (want $pbkdf2-sha256$)");
  auto parts = split(text.substr(kScheme.size()), '$');
  if (parts.size() != 3) return std::unexpected("want $pbkdf2-sha256$ITERATIONS$SALT$HASH");
  PasswordHash hash;
  auto [end, error] =
      std::from_chars(parts[0].data(), parts[0].data() + parts[0].size(), hash.iterations);
  if (error != std::errc{} || end != parts[0].data() + parts[0].size())
    return std::unexpected("bad iteration count");
  if (hash.iterations < kMinPasswordIterations || hash.iterations > kMaxIterations)
    return std::unexpected("iteration count must be between 100000 and 100000000");
  auto salt = decode_base64(parts[1]);
  if (!salt || salt->size() < 8) return std::unexpected("bad salt (base64, at least 8 octets)");
  auto derived = decode_base64(parts[2]);
  if (!derived || derived->size() != kHashLength)
    return std::unexpected("bad hash (base64 of 32 octets)");
  hash.salt = std::move(*salt);
  hash.hash = std::move(*derived);
  return hash;
}

std::string format_password_hash(const PasswordHash& hash) {
  return std::string(kScheme) + std::to_string(hash.iterations) + "$" + encode_base64(hash.salt) +
         "$" + encode_base64(hash.hash);
}

PasswordHash hash_password(std::string_view password, std::string_view salt,
                           std::uint32_t iterations) {
  PasswordHash hash{iterations, std::string(salt), std::string(kHashLength, '\0')};
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()),
                        static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                        static_cast<int>(kHashLength),
                        reinterpret_cast<unsigned char*>(hash.hash.data())) != 1)
    throw std::runtime_error("PKCS5_PBKDF2_HMAC failed");
  return hash;
}

PasswordHash new_password_hash(std::string_view password, std::uint32_t iterations) {
  std::string salt(kSaltLength, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("RAND_bytes failed");
  return hash_password(password, salt, iterations);
}

bool verify_password(const PasswordHash& hash, std::string_view password) {
  PasswordHash derived = hash_password(password, hash.salt, hash.iterations);
  return derived.hash.size() == hash.hash.size() &&
         CRYPTO_memcmp(derived.hash.data(), hash.hash.data(), hash.hash.size()) == 0;
}

bool is_valid_username(std::string_view username) {
  return !username.empty() && username.size() <= 255 && std::ranges::all_of(username, [](char c) {
    unsigned char u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && c != ':';
  });
}

std::expected<CredentialStore, std::vector<std::string>> CredentialStore::parse(
    std::string_view text) {
  CredentialStore store;
  std::vector<std::string> problems;
  auto lines = split(text, '\n');
  for (std::size_t number = 1; number <= lines.size(); ++number) {
    std::string_view line = lines[number - 1];
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto problem = [&](std::string_view what) {
      problems.push_back("line " + std::to_string(number) + ": " + std::string(what));
    };
    std::size_t colon = line.find(':');
    std::string_view user = line.substr(0, colon);
    if (colon == std::string_view::npos || !is_valid_username(user)) {
      problem("want username:$pbkdf2-sha256$...");
      continue;
    }
    auto hash = parse_password_hash(line.substr(colon + 1));
    if (!hash) {
      problem(hash.error());
    } else if (!store.users_.emplace(std::string(user), std::move(*hash)).second) {
      problem("user " + std::string(user) + " defined twice");
    }
  }
  if (!problems.empty()) return std::unexpected(std::move(problems));
  return store;
}

bool CredentialStore::verify(std::string_view username, std::string_view password) const {
  auto user = users_.find(username);
  if (user == users_.end()) {
    verify_password(decoy_hash(), password);
    return false;
  }
  return verify_password(user->second, password);
}

std::expected<CredentialStore, std::string> load_credentials(const std::filesystem::path& file) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0)
    return std::unexpected(file.string() + ": cannot read the credentials file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    return std::unexpected(file.string() +
                           ": credentials file must be accessible by its owner only (chmod 600)");
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return std::unexpected(file.string() + ": cannot read the credentials file");
  auto store = CredentialStore::parse(text.str());
  if (!store) {
    std::string message = file.string() + ":";
    for (const auto& problem : store.error()) message += " " + problem + ";";
    message.pop_back();
    return std::unexpected(message);
  }
  return std::move(*store);
}

}  // namespace mxrelay::mta
