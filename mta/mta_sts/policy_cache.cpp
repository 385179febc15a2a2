// mta/mta_sts: the on-disk MTA-STS policy cache (see policy_cache.hpp).
#include "mta/mta_sts/policy_cache.hpp"

#include <charconv>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/domain_name.hpp"
#include "mta/mta_sts/policy_memory.hpp"

namespace mxrelay::mta::sts {

namespace {

constexpr std::string_view kMagic = "mxrelay-mta-sts 1\n";

// The value of the "NAME VALUE\n" line at the start of text, text advanced past it.
std::optional<std::string_view> take_line(std::string_view& text, std::string_view name) {
  const auto end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  const auto line = text.substr(0, end);
  if (!line.starts_with(name) || line.size() <= name.size() || line[name.size()] != ' ')
    return std::nullopt;
  text.remove_prefix(end + 1);
  return line.substr(name.size() + 1);
}

}  // namespace

std::string encode_cached(const CachedPolicy& cached) {
  return std::string(kMagic) + "id " + cached.id + "\nfetched " +
         std::to_string(cached.fetched_at) + "\n\n" + cached.body;
}

std::expected<CachedPolicy, std::string> decode_cached(std::string_view text) {
  if (!text.starts_with(kMagic)) return std::unexpected(std::string("not an MTA-STS cache file"));
  text.remove_prefix(kMagic.size());
  CachedPolicy cached;
  const auto id = take_line(text, "id");
  const auto fetched = take_line(text, "fetched");
  if (!id || !fetched || !text.starts_with('\n'))
    return std::unexpected(std::string("malformed MTA-STS cache header"));
  text.remove_prefix(1);
  const auto [end, error] =
      std::from_chars(fetched->data(), fetched->data() + fetched->size(), cached.fetched_at);
  if (error != std::errc() || end != fetched->data() + fetched->size())
    return std::unexpected(std::string("malformed fetch time in MTA-STS cache file"));
  auto policy = parse_policy(text);
  if (!policy) return std::unexpected("cached policy invalid: " + policy.error());
  cached.id = std::string(*id);
  cached.body = std::string(text);
  cached.policy = std::move(*policy);
  return cached;
}

std::filesystem::path PolicyCache::file_of(std::string_view domain) const {
  return dir_ / core::canonical_domain(domain);
}

std::optional<CachedPolicy> PolicyCache::load(std::string_view domain) const {
  if (!core::is_valid_hostname(domain)) return std::nullopt;
  if (!memory_) return read_file(domain);
  const auto key = core::canonical_domain(domain);
  if (const auto* known = memory_->find(key)) return *known;
  auto cached = read_file(domain);
  memory_->remember(key, cached);
  return cached;
}

std::optional<CachedPolicy> PolicyCache::read_file(std::string_view domain) const {
  std::ifstream in(file_of(domain), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  auto cached = decode_cached(text.str());
  if (!cached) return std::nullopt;
  return std::move(*cached);
}

std::expected<void, std::string> PolicyCache::store(std::string_view domain,
                                                    const CachedPolicy& cached) const {
  if (!core::is_valid_hostname(domain))
    return std::unexpected("not a host name: " + std::string(domain));
  std::error_code error;
  std::filesystem::create_directories(dir_, error);
  if (error) return std::unexpected("cannot create " + dir_.string() + ": " + error.message());
  const auto target = file_of(domain);
  auto temporary = target;
  temporary += ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << encode_cached(cached);
    out.flush();
    if (!out) return std::unexpected("cannot write " + temporary.string());
  }
  std::filesystem::rename(temporary, target, error);
  if (error) return std::unexpected("cannot rename " + temporary.string() + ": " + error.message());
  if (memory_) memory_->remember(core::canonical_domain(domain), cached);
  return {};
}

}  // namespace mxrelay::mta::sts
