// conf: the [[dkim]] entries of the configuration: domain, selector, the private key (read
// with the rules of password files and checked with OpenSSL: RSA of 2048 bits or more, or
// Ed25519) and the header fields to sign. Private to the conf module.
#pragma once

#include <filesystem>
#include <vector>

#include "config.hpp"
#include "toml_section.hpp"

namespace mxrelay::conf {

// Reads every [[dkim]] table of `root` into out; problems go to root's diagnostics at the
// position of the value concerned.
void read_dkim_entries(const TomlSection& root, const std::filesystem::path& base_dir,
                       std::vector<DkimEntry>& out);

}  // namespace mxrelay::conf
