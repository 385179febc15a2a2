// tests/fuzz: the configuration and transport-map loader (conf/load_config, with the
// [transport] table in the same document) on arbitrary TOML. Properties: a document that is
// refused gets at least one error, and every error names the file and prints as one line
// without control characters; an accepted one holds a transport entry per key written.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "conf/load_config.hpp"
#include "fuzz_input.hpp"

namespace {

using mxrelay::fuzz::require;

bool one_clean_line(std::string_view text) {
  for (unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto loaded = mxrelay::conf::parse_config(mxrelay::fuzz::as_text(data, size), "fuzz.toml");
  if (loaded) {
    for (const auto& entry : loaded->transport.entries())
      require(loaded->transport.find(entry.pattern) != nullptr,
              "an accepted transport entry is found by its pattern");
    return 0;
  }
  require(!loaded.error().empty(), "a refused configuration has an error");
  for (const auto& error : loaded.error()) {
    const std::string text = error.str();
    require(text.starts_with(error.file), "a configuration error starts with its file");
    require(one_clean_line(text), "a configuration error is one line without control characters");
  }
  return 0;
}
