// core: equals_ignoring_case(), contains_ignoring_case(), lower_ascii() and upper_ascii().
#include "core/ascii_case.hpp"

#include <algorithm>

namespace mxrelay::core {

namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

char upper(char c) {
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

}  // namespace

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::ranges::equal(a, b, [](char x, char y) { return lower(x) == lower(y); });
}

bool contains_ignoring_case(std::string_view text, std::string_view phrase) {
  const auto same = [](char x, char y) { return lower(x) == lower(y); };
  return !std::ranges::search(text, phrase, same).empty() || phrase.empty();
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), lower);
  return out;
}

std::string upper_ascii(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(), upper);
  return out;
}

}  // namespace mxrelay::core
