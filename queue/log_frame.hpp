// queue: the framing of records in an append-only spool log segment, and the scan that reads
// them back (pure: bytes in, records and damage out). A frame is
//   "MXLG" | kind u8 | 3 zero bytes | payload length u32 LE | payload CRC-32 u32 LE |
//   header CRC-32 u32 LE | payload
// where the header CRC covers the segment's key (8 random bytes the engine keeps in the
// segment's own header) and the 16 header bytes before it. The scan reads frames from the
// start of a segment; it ends at the segment's end or at a header of zeros (the unwritten rest
// of a zero-filled segment). A frame that does not check out (wrong magic, a bad CRC, a length
// past the end) is damage: the scan looks for the next frame that checks out and reports the
// bytes in between as one damaged range, so a flipped bit costs only the records it touches,
// and a frame cut short at the very end is a torn tail (a write a crash interrupted). The
// header CRC makes looking for the next frame cheap (a payload is summed only after its
// header checked out), and the key makes a frame copied into a message body (which a sender
// controls) fail to check out: it can never be read as a record of the log.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::queue {

constexpr std::size_t kLogFrameHeader = 20;
using LogKey = std::array<unsigned char, 8>;
// The longest payload a frame may announce: larger lengths are damage, not an allocation.
constexpr std::uint32_t kLogFrameMaxPayload = 1u << 30;

std::string encode_log_frame(const LogKey& key, std::uint8_t kind, std::string_view payload);
// The header alone of a frame whose payload has `size` bytes and the CRC-32 `payload_crc`
// (queue::crc32 of the payload), for writers that send header and payload separately.
std::string encode_log_frame_header(const LogKey& key, std::uint8_t kind, std::uint32_t size,
                                    std::uint32_t payload_crc);

struct LogFrame {
  std::uint8_t kind = 0;
  std::string_view payload;  // points into the scanned bytes
  std::size_t offset = 0;    // of the frame's header in the segment
};

struct LogDamage {
  std::size_t offset = 0;
  std::size_t length = 0;
  bool torn_tail = false;  // the damage runs to the end of the written data
};

struct LogScan {
  std::vector<LogFrame> frames;
  std::vector<LogDamage> damage;
  std::size_t end = 0;  // where the written data ends: the next append goes here
};

LogScan scan_log(const LogKey& key, std::string_view segment);

}  // namespace mxrelay::queue
