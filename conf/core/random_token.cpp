// core: random tokens (see random_token.hpp).
#include "core/random_token.hpp"

#include <cstdio>

namespace mxrelay::core {

std::string random_token(std::mt19937_64& random) {
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(random()));
  return buf;
}

}  // namespace mxrelay::core
