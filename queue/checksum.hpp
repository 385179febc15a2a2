// queue: CRC-32 (IEEE 802.3 polynomial, zlib's) used to detect torn or corrupted spool records.
#pragma once

#include <cstdint>
#include <string_view>

namespace mxrelay::queue {

std::uint32_t crc32(std::string_view data, std::uint32_t crc = 0);

}  // namespace mxrelay::queue
