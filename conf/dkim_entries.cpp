// conf: read_dkim_entries().
#include "dkim_entries.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <memory>
#include <set>

#include "config_values.hpp"
#include "core/ascii_case.hpp"
#include "secret_file.hpp"

namespace mxrelay::conf {

namespace {

constexpr std::size_t kMaxKeyFileSize = 64 * 1024;
constexpr unsigned kMinRsaBits = 2048;

// RFC 6376 3.1: a selector is one or more DNS labels of letters, digits and hyphens.
bool is_selector(std::string_view text) {
  if (text.empty() || text.size() > 253) return false;
  std::size_t start = 0;
  for (;;) {
    const auto dot = text.find('.', start);
    const auto label = text.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    if (!std::ranges::all_of(label, [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-';
        }))
      return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

// RFC 5322 3.6.8: printable US-ASCII except ':'; and no ';', which would end the h= tag.
bool is_field_name(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) {
    return c >= 33 && c <= 126 && c != ':' && c != ';';
  });
}

// An encrypted key is refused instead of asking for a passphrase on the terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

// What the key in `pem` is, or why it cannot sign.
std::expected<std::pair<DkimAlgorithm, unsigned>, std::string> check_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr,
      &EVP_PKEY_free);
  if (!key) return std::unexpected(std::string("is not a PEM private key (or is encrypted)"));
  const unsigned bits = static_cast<unsigned>(EVP_PKEY_get_bits(key.get()));
  switch (EVP_PKEY_get_base_id(key.get())) {
    case EVP_PKEY_RSA:
      if (bits < kMinRsaBits)
        return std::unexpected("holds an RSA key of " + std::to_string(bits) +
                               " bits; DKIM needs 2048 or more (RFC 8301)");
      return std::pair{DkimAlgorithm::rsa_sha256, bits};
    case EVP_PKEY_ED25519:
      return std::pair{DkimAlgorithm::ed25519_sha256, bits};
    default:
      return std::unexpected(std::string("holds a key that is neither RSA nor Ed25519"));
  }
}

void read_key(const TomlSection& table, const std::filesystem::path& base_dir, DkimEntry& out) {
  auto file = table.string("key_file");
  if (!file) return;
  if (file->value.empty()) {
    table.report(file->node->source(), "key_file", "must not be empty");
    return;
  }
  out.key_file = base_dir / file->value;
  auto pem = read_secret_text(out.key_file, kMaxKeyFileSize);
  if (!pem) {
    table.report(file->node->source(), "key_file", pem.error());
    return;
  }
  auto key = check_key(*pem);
  if (!key) {
    table.report(file->node->source(), "key_file", out.key_file.string() + " " + key.error());
    return;
  }
  out.key_pem = std::move(*pem);
  out.algorithm = key->first;
  out.key_bits = key->second;
}

void read_headers(const TomlSection& table, DkimEntry& out) {
  out.headers.assign(kDefaultDkimHeaders.begin(), kDefaultDkimHeaders.end());
  auto names = table.strings("headers");
  if (!names) return;
  std::vector<std::string> headers;
  bool from = false;
  for (const auto& name : *names) {
    if (!is_field_name(name.value)) {
      table.report(name.node->source(), "headers",
                   quoted_value(name.value) + " is not a header field name");
      continue;
    }
    from = from || core::equals_ignoring_case(name.value, "From");
    headers.push_back(name.value);
  }
  if (!from)
    table.report(table.find("headers")->source(), "headers", "must include From (RFC 6376 5.4)");
  out.headers = std::move(headers);
}

std::optional<DkimEntry> read_entry(const TomlSection& table,
                                    const std::filesystem::path& base_dir) {
  table.reject_unknown_keys({"domain", "selector", "key_file", "headers"});
  const auto& where = table.table().source();
  for (std::string_view required : {"domain", "selector", "key_file"})
    if (!table.find(required)) table.report(where, required, "required key is missing");
  DkimEntry entry;
  read_hostname(table, "domain", false, entry.domain);
  if (auto selector = table.string("selector")) {
    if (is_selector(selector->value))
      entry.selector = selector->value;
    else
      table.report(selector->node->source(), "selector",
                   quoted_value(selector->value) +
                       " is not a selector (DNS labels of letters, digits and hyphens)");
  }
  read_key(table, base_dir, entry);
  read_headers(table, entry);
  entry.where = (where.path ? *where.path : std::string()) + ":" +
                std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
  if (entry.domain.empty() || entry.selector.empty() || entry.key_pem.empty()) return std::nullopt;
  return entry;
}

}  // namespace

void read_dkim_entries(const TomlSection& root, const std::filesystem::path& base_dir,
                       std::vector<DkimEntry>& out) {
  auto tables = root.subtables("dkim");
  if (!tables) return;
  std::set<std::pair<std::string, std::string>> seen;
  for (const auto& table : *tables) {
    auto entry = read_entry(table, base_dir);
    if (!entry) continue;
    if (!seen.emplace(entry->domain, entry->selector).second) {
      table.report(table.find("selector")->source(), "selector",
                   "selector " + quoted_value(entry->selector) + " of " + entry->domain +
                       " is defined twice");
      continue;
    }
    out.push_back(std::move(*entry));
  }
}

}  // namespace mxrelay::conf
