// mta/doctor: parse_spf_record().
#include "mta/doctor/spf_record.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/ascii_case.hpp"

namespace mxrelay::mta::doctor {

namespace {

// The first '/' outside a macro's braces: where a domain-spec's dual-cidr-length begins.
std::size_t cidr_start(std::string_view spec) {
  bool in_macro = false;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] == '{' && i > 0 && spec[i - 1] == '%') in_macro = true;
    if (spec[i] == '}') in_macro = false;
    if (spec[i] == '/' && !in_macro) return i;
  }
  return std::string_view::npos;
}

std::optional<unsigned> prefix_length(std::string_view digits, unsigned max) {
  unsigned value = 0;
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return std::nullopt;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value > max)
    return std::nullopt;
  return value;
}

// "/24", "//64", "/24//64" (RFC 7208 5.6 dual-cidr-length) into the mechanism.
bool parse_dual_cidr(std::string_view cidr, SpfMechanism& mechanism) {
  if (cidr.empty()) return true;
  const auto v6 = cidr.find("//");
  const std::string_view v4_part = cidr.substr(0, v6);
  if (!v4_part.empty()) {
    auto length = prefix_length(v4_part.substr(1), 32);
    if (!length) return false;
    mechanism.cidr4 = *length;
  }
  if (v6 != std::string_view::npos) {
    auto length = prefix_length(cidr.substr(v6 + 2), 128);
    if (!length) return false;
    mechanism.cidr6 = *length;
  }
  return true;
}

std::optional<SpfMechanismKind> mechanism_kind(std::string_view name) {
  static constexpr std::pair<std::string_view, SpfMechanismKind> kNames[] = {
      {"all", SpfMechanismKind::all}, {"include", SpfMechanismKind::include},
      {"a", SpfMechanismKind::a},     {"mx", SpfMechanismKind::mx},
      {"ptr", SpfMechanismKind::ptr}, {"ip4", SpfMechanismKind::ip4},
      {"ip6", SpfMechanismKind::ip6}, {"exists", SpfMechanismKind::exists}};
  for (const auto& [text, kind] : kNames)
    if (text == name) return kind;
  return std::nullopt;
}

std::expected<SpfMechanism, std::string> parse_directive(std::string_view term) {
  SpfMechanism mechanism;
  mechanism.text = std::string(term);
  static constexpr std::string_view kQualifiers = "+-~?";
  if (const auto q = kQualifiers.find(term.front()); q != std::string_view::npos) {
    mechanism.qualifier = static_cast<SpfQualifier>(q);
    term.remove_prefix(1);
  }
  const auto name_end = term.find_first_of(":/");
  const auto kind = mechanism_kind(core::lower_ascii(term.substr(0, name_end)));
  if (!kind) return std::unexpected("unknown mechanism \"" + mechanism.text + "\"");
  mechanism.kind = *kind;
  std::string_view rest = name_end == std::string_view::npos ? "" : term.substr(name_end);
  const auto bad = [&] { return std::unexpected("malformed term \"" + mechanism.text + "\""); };
  switch (mechanism.kind) {
    case SpfMechanismKind::all:
      if (!rest.empty()) return bad();
      break;
    case SpfMechanismKind::include:
    case SpfMechanismKind::exists:
      if (rest.size() < 2 || rest[0] != ':') return bad();
      mechanism.domain_spec = std::string(rest.substr(1));
      break;
    case SpfMechanismKind::ptr:
      if (rest.starts_with("/") || rest == ":") return bad();
      if (!rest.empty()) mechanism.domain_spec = std::string(rest.substr(1));
      break;
    case SpfMechanismKind::a:
    case SpfMechanismKind::mx: {
      if (rest.starts_with(":")) {
        rest.remove_prefix(1);
        const auto slash = cidr_start(rest);
        mechanism.domain_spec = std::string(rest.substr(0, slash));
        if (mechanism.domain_spec.empty()) return bad();
        rest = slash == std::string_view::npos ? "" : rest.substr(slash);
      }
      if (!parse_dual_cidr(rest, mechanism)) return bad();
      break;
    }
    case SpfMechanismKind::ip4:
    case SpfMechanismKind::ip6: {
      if (rest.size() < 2 || rest[0] != ':') return bad();
      const auto network_text = rest.substr(1);
      const auto address = core::IpAddress::parse(network_text.substr(0, network_text.find('/')));
      const bool v6 = mechanism.kind == SpfMechanismKind::ip6;
      mechanism.network = core::Cidr::parse(network_text);
      if (!address || address->is_v6() != v6 || !mechanism.network) return bad();
      break;
    }
  }
  return mechanism;
}

bool is_modifier_name(std::string_view name) {
  if (name.empty() || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  return std::ranges::all_of(
      name, [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_' || c == '.'; });
}

}  // namespace

bool is_spf_record(std::string_view text) {
  return core::lower_ascii(text.substr(0, 6)) == "v=spf1" && (text.size() == 6 || text[6] == ' ');
}

std::expected<SpfRecord, std::string> parse_spf_record(std::string_view text) {
  if (!is_spf_record(text)) return std::unexpected("not an SPF record (no \"v=spf1\")");
  SpfRecord record;
  std::size_t pos = 6;
  while (pos < text.size()) {
    if (text[pos] == ' ') {
      ++pos;
      continue;
    }
    const auto end = std::min(text.find(' ', pos), text.size());
    const std::string_view term = text.substr(pos, end - pos);
    pos = end;
    const auto equals = term.find('=');
    const auto name_end = term.find_first_of(":/");
    if (equals != std::string_view::npos && equals < name_end &&
        is_modifier_name(term.substr(0, equals))) {
      const std::string name = core::lower_ascii(term.substr(0, equals));
      std::string* target = name == "redirect" ? &record.redirect
                            : name == "exp"    ? &record.exp
                                               : nullptr;
      if (target == nullptr) continue;  // unknown modifiers are ignored (6)
      if (!target->empty()) return std::unexpected("more than one " + name + "= modifier");
      if (equals + 1 == term.size()) return std::unexpected(name + "= without a domain");
      *target = std::string(term.substr(equals + 1));
      continue;
    }
    auto mechanism = parse_directive(term);
    if (!mechanism) return std::unexpected(mechanism.error());
    record.mechanisms.push_back(std::move(*mechanism));
  }
  return record;
}

}  // namespace mxrelay::mta::doctor
