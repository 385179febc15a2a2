// core: a random 128-bit token in 32 hex digits, for MIME boundaries, Message-IDs and report ids
// (unique, not secret).
#pragma once

#include <random>
#include <string>

namespace mxrelay::core {

std::string random_token(std::mt19937_64& random);

}  // namespace mxrelay::core
