// resolver: the TLSA owner name.
#include "tlsa_record.hpp"

#include "core/domain_name.hpp"

namespace mxrelay::resolver {

std::string tlsa_query_name(std::string_view host, std::uint16_t port) {
  return "_" + std::to_string(port) + "._tcp." + core::canonical_domain(host);
}

}  // namespace mxrelay::resolver
