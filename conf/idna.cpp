// conf: to_a_label_domain() on top of libidn2.
#include "idna.hpp"

#include <idn2.h>

#include <algorithm>
#include <memory>

#include "core/domain_name.hpp"

namespace mxrelay::conf {

namespace {

bool is_ascii(std::string_view text) {
  return std::ranges::all_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

struct Idn2Free {
  void operator()(char* text) const { idn2_free(text); }
};

}  // namespace

std::expected<std::string, std::string> to_a_label_domain(std::string_view domain) {
  if (is_ascii(domain)) return core::canonical_domain(domain);
  if (domain.find('\0') != std::string_view::npos)
    return std::unexpected(std::string("contains a NUL character"));
  if (domain.back() == '.') domain.remove_suffix(1);
  std::string input(domain);
  char* converted = nullptr;
  int status = idn2_to_ascii_8z(input.c_str(), &converted, IDN2_NONTRANSITIONAL);
  std::unique_ptr<char, Idn2Free> owner(converted);
  if (status != IDN2_OK) return std::unexpected(std::string(idn2_strerror(status)));
  return core::canonical_domain(owner.get());
}

std::string to_u_label_domain(std::string_view domain) {
  auto ascii = to_a_label_domain(domain);
  if (!ascii || ascii->find("xn--") == std::string::npos) return {};
  char* converted = nullptr;
  int status = idn2_to_unicode_8z8z(ascii->c_str(), &converted, 0);
  std::unique_ptr<char, Idn2Free> owner(converted);
  if (status != IDN2_OK || *ascii == owner.get()) return {};
  return owner.get();
}

}  // namespace mxrelay::conf
