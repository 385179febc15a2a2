// conf: strict, typed reading of one TOML table of the configuration ("server",
// "dns.stub", ...). Every wrong type and unknown key is reported to ConfigDiagnostics
// with its line and column; readers return nothing for such values so defaults stay.
// Private to the conf module (toml++ is not part of mxrelay_conf's public interface).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_diagnostics.hpp"

namespace mxrelay::conf {

// A string value with the node it came from, so later checks can point at it.
struct TomlString {
  std::string value;
  const toml::node* node = nullptr;
};

// Parses a whole TOML document; a syntax error is reported to `diagnostics` with its
// position and gives std::nullopt. source_name names the document in node positions.
std::optional<toml::table> parse_toml_document(std::string_view text,
                                               const std::string& source_name,
                                               ConfigDiagnostics& diagnostics);

class TomlSection {
 public:
  // name is the dotted path of the table ("" for the document root).
  TomlSection(const toml::table& table, std::string name, ConfigDiagnostics& diagnostics)
      : table_(&table), name_(std::move(name)), diagnostics_(&diagnostics) {}

  const toml::table& table() const { return *table_; }
  // The dotted name of `key` in this table: "server.listen"; keys that are not bare TOML
  // keys are quoted: transport."outlook.com".
  std::string path(std::string_view key) const;

  // Reports every key of the table that is not in `known`.
  void reject_unknown_keys(std::initializer_list<std::string_view> known) const;

  // The value of `key` when present and of the expected type; std::nullopt (or an empty
  // result) when absent, and also when of another type, which is then reported.
  std::optional<TomlString> string(std::string_view key) const;
  std::optional<std::int64_t> integer(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<TomlSection> subtable(std::string_view key) const;
  // Like subtable(), but an empty table when `key` is absent or not a table, so checks on
  // absent keys run the same way for a missing section.
  TomlSection section(std::string_view key) const;
  // An array whose elements must all be strings; other elements are reported and skipped.
  std::optional<std::vector<TomlString>> strings(std::string_view key) const;
  // An array of tables ([[name]]); other elements are reported and skipped.
  std::optional<std::vector<TomlSection>> subtables(std::string_view key) const;
  // The raw node, for values that accept more than one type.
  const toml::node* find(std::string_view key) const;

  // Reports "<path(key)>: <message>" at the position of `where`.
  void report(const toml::source_region& where, std::string_view key,
              std::string_view message) const;
  // Reports "<path(key)>: expected <expected>, got <actual type>" at `node`.
  void report_type(const toml::node& node, std::string_view key, std::string_view expected) const;

 private:
  template <typename T>
  const toml::value<T>* typed(std::string_view key, std::string_view expected) const;

  const toml::table* table_;
  std::string name_;
  ConfigDiagnostics* diagnostics_;
};

}  // namespace mxrelay::conf
