// conf: collects every ConfigError found while reading one configuration source, so all
// of them can be reported together, ordered by position.
#pragma once

#include <string>
#include <vector>

#include "load_config.hpp"

namespace mxrelay::conf {

class ConfigDiagnostics {
 public:
  explicit ConfigDiagnostics(std::string file) : file_(std::move(file)) {}

  // line and column are 1-based; 0 for a problem that has no place in the file.
  void report(int line, int column, std::string message);
  bool empty() const { return errors_.empty(); }
  // The errors ordered by position (unpositioned ones first), stable otherwise.
  std::vector<ConfigError> sorted() const;

 private:
  std::string file_;
  std::vector<ConfigError> errors_;
};

}  // namespace mxrelay::conf
