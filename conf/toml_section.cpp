// conf: TomlSection, typed and strict access to one TOML table.
#include "toml_section.hpp"

#include <algorithm>

#include "config_values.hpp"

namespace mxrelay::conf {

namespace {

std::string_view type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

// A key as written in a dotted TOML path: bare when it may be bare, quoted otherwise.
std::string path_component(std::string_view key) {
  bool bare = !key.empty() && std::ranges::all_of(key, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  return bare ? std::string(key) : quoted_value(key);
}

}  // namespace

std::optional<toml::table> parse_toml_document(std::string_view text,
                                               const std::string& source_name,
                                               ConfigDiagnostics& diagnostics) {
  try {
    return toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    diagnostics.report(static_cast<int>(error.source().begin.line),
                       static_cast<int>(error.source().begin.column),
                       std::string(error.description()));
    return std::nullopt;
  }
}

std::string TomlSection::path(std::string_view key) const {
  if (name_.empty()) return path_component(key);
  return name_ + "." + path_component(key);
}

void TomlSection::reject_unknown_keys(std::initializer_list<std::string_view> known) const {
  for (const auto& [key, node] : *table_) {
    if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
    report(key.source(), key.str(), node.is_table() ? "unknown table" : "unknown key");
  }
}

const toml::node* TomlSection::find(std::string_view key) const {
  return table_->get(key);
}

void TomlSection::report(const toml::source_region& where, std::string_view key,
                         std::string_view message) const {
  diagnostics_->report(static_cast<int>(where.begin.line), static_cast<int>(where.begin.column),
                       path(key) + ": " + std::string(message));
}

void TomlSection::report_type(const toml::node& node, std::string_view key,
                              std::string_view expected) const {
  report(node.source(), key,
         "expected " + std::string(expected) + ", got " + std::string(type_name(node.type())));
}

template <typename T>
const toml::value<T>* TomlSection::typed(std::string_view key, std::string_view expected) const {
  const auto* node = find(key);
  if (!node) return nullptr;
  const auto* value = node->as<T>();
  if (!value) report_type(*node, key, expected);
  return value;
}

std::optional<TomlString> TomlSection::string(std::string_view key) const {
  const auto* value = typed<std::string>(key, "a string");
  if (!value) return std::nullopt;
  return TomlString{value->get(), value};
}

std::optional<std::int64_t> TomlSection::integer(std::string_view key) const {
  const auto* value = typed<std::int64_t>(key, "an integer");
  if (!value) return std::nullopt;
  return value->get();
}

std::optional<bool> TomlSection::boolean(std::string_view key) const {
  const auto* value = typed<bool>(key, "a boolean");
  if (!value) return std::nullopt;
  return value->get();
}

std::optional<TomlSection> TomlSection::subtable(std::string_view key) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  const auto* table = node->as_table();
  if (!table) {
    report_type(*node, key, "a table");
    return std::nullopt;
  }
  return TomlSection(*table, path(key), *diagnostics_);
}

TomlSection TomlSection::section(std::string_view key) const {
  static const toml::table kEmpty;
  if (auto found = subtable(key)) return *found;
  return TomlSection(kEmpty, path(key), *diagnostics_);
}

std::optional<std::vector<TomlString>> TomlSection::strings(std::string_view key) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  const auto* array = node->as_array();
  if (!array) {
    report_type(*node, key, "an array of strings");
    return std::nullopt;
  }
  std::vector<TomlString> out;
  for (const auto& element : *array) {
    if (const auto* text = element.as_string())
      out.push_back(TomlString{text->get(), text});
    else
      report_type(element, key, "a string");
  }
  return out;
}

std::optional<std::vector<TomlSection>> TomlSection::subtables(std::string_view key) const {
  const auto* node = find(key);
  if (!node) return std::nullopt;
  const auto* array = node->as_array();
  if (!array) {
    report_type(*node, key, "an array of tables");
    return std::nullopt;
  }
  std::vector<TomlSection> out;
  for (const auto& element : *array) {
    if (const auto* table = element.as_table())
      out.emplace_back(*table, path(key), *diagnostics_);
    else
      report_type(element, key, "a table");
  }
  return out;
}

}  // namespace mxrelay::conf
