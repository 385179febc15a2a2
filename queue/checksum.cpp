// queue: CRC-32 of spool records, computed by zlib's crc32_z (the same polynomial and values
// as the slicing-by-8 code it replaced; a record written by that code is a test fixture).
#include "checksum.hpp"

#include <zlib.h>

namespace mxrelay::queue {

std::uint32_t crc32(std::string_view data, std::uint32_t crc) {
  return static_cast<std::uint32_t>(
      ::crc32_z(crc, reinterpret_cast<const Bytef*>(data.data()), data.size()));
}

}  // namespace mxrelay::queue
