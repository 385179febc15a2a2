// conf: ConfigDiagnostics and the text form of a ConfigError.
#include "config_diagnostics.hpp"

#include <algorithm>
#include <tuple>

#include "core/control_characters.hpp"

namespace mxrelay::conf {

std::string ConfigError::str() const {
  // One line whatever the file's name or content hold (a newline, a control character).
  const auto where = core::escape_control_characters(file);
  const auto what = core::escape_control_characters(message);
  if (line == 0) return where + ": " + what;
  return where + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + what;
}

void ConfigDiagnostics::report(int line, int column, std::string message) {
  errors_.push_back(ConfigError{file_, line, column, std::move(message)});
}

std::vector<ConfigError> ConfigDiagnostics::sorted() const {
  auto out = errors_;
  std::stable_sort(out.begin(), out.end(), [](const ConfigError& a, const ConfigError& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return out;
}

}  // namespace mxrelay::conf
