// Test helper for the golden error tests: parse a TOML text and compare the complete list
// of "FILE:LINE:COLUMN: message" errors with the expected one.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "conf/load_config.hpp"

namespace mxrelay::conf {

// The errors parse_config reports for toml (as "t.toml"); empty when it loads.
inline std::vector<std::string> errors_of(const std::string& toml) {
  auto config = parse_config(toml, "t.toml");
  std::vector<std::string> out;
  if (!config)
    for (const auto& error : config.error()) out.push_back(error.str());
  return out;
}

struct Golden {
  const char* what;
  const char* toml;
  std::vector<std::string> errors;
};

inline void check(const std::vector<Golden>& rows) {
  for (const auto& row : rows) EXPECT_EQ(errors_of(row.toml), row.errors) << row.what;
}

}  // namespace mxrelay::conf
