// core: parsing and formatting of enhanced status codes and failures.
#include "smtp_status.hpp"

#include <cctype>
#include <charconv>

namespace mxrelay::core {

namespace {
// Reads 1..max_digits decimal digits from text at pos.
std::optional<int> read_number(std::string_view text, std::size_t& pos, std::size_t max_digits) {
  std::size_t start = pos;
  while (pos < text.size() && pos - start < max_digits &&
         std::isdigit(static_cast<unsigned char>(text[pos])))
    ++pos;
  if (pos == start) return std::nullopt;
  int value = 0;
  std::from_chars(text.data() + start, text.data() + pos, value);
  return value;
}
}  // namespace

std::optional<EnhancedStatus> EnhancedStatus::parse(std::string_view text) {
  std::size_t pos = 0;
  auto klass = read_number(text, pos, 1);
  if (!klass || (*klass != 2 && *klass != 4 && *klass != 5)) return std::nullopt;
  if (pos >= text.size() || text[pos++] != '.') return std::nullopt;
  auto subject = read_number(text, pos, 3);
  if (!subject || pos >= text.size() || text[pos++] != '.') return std::nullopt;
  auto detail = read_number(text, pos, 3);
  if (!detail) return std::nullopt;
  if (pos < text.size() && !std::isspace(static_cast<unsigned char>(text[pos])))
    return std::nullopt;
  return EnhancedStatus{*klass, *subject, *detail};
}

std::string EnhancedStatus::str() const {
  return std::to_string(klass) + "." + std::to_string(subject) + "." + std::to_string(detail);
}

std::string Failure::str() const {
  return std::to_string(reply_code) + " " + status.str() + " " + reason;
}

}  // namespace mxrelay::core
