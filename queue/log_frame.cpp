// queue: framing and scanning of spool log segments (see log_frame.hpp).
#include "queue/log_frame.hpp"

#include <algorithm>
#include <optional>

#include "queue/checksum.hpp"

namespace mxrelay::queue {

namespace {

constexpr std::string_view kMagic = "MXLG";

void put_u32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>(value >> shift));
}

std::uint32_t get_u32(std::string_view bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (int i = 3; i >= 0; --i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + static_cast<std::size_t>(i)]);
  return value;
}

bool all_zero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == '\0'; });
}

std::uint32_t header_crc(const LogKey& key, std::string_view first_bytes) {
  const std::string_view key_bytes(reinterpret_cast<const char*>(key.data()), key.size());
  return crc32(first_bytes, crc32(key_bytes));
}

// The frame at `at` if it checks out: its header first, then its payload.
std::optional<LogFrame> frame_at(const LogKey& key, std::string_view segment, std::size_t at) {
  if (segment.size() - at < kLogFrameHeader) return std::nullopt;
  const auto header = segment.substr(at, kLogFrameHeader);
  if (header.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  if (get_u32(header, 16) != header_crc(key, header.substr(0, 16))) return std::nullopt;
  if (header[5] != '\0' || header[6] != '\0' || header[7] != '\0') return std::nullopt;
  const auto length = get_u32(header, 8);
  if (length > kLogFrameMaxPayload || length > segment.size() - at - kLogFrameHeader)
    return std::nullopt;
  const auto payload = segment.substr(at + kLogFrameHeader, length);
  if (get_u32(header, 12) != crc32(payload)) return std::nullopt;
  return LogFrame{static_cast<std::uint8_t>(header[4]), payload, at};
}

// Whether the written data ends at `at`: a header of zeros, or the segment's end.
bool unwritten_from(std::string_view segment, std::size_t at) {
  return all_zero(segment.substr(at, std::min(kLogFrameHeader, segment.size() - at)));
}

}  // namespace

std::string encode_log_frame_header(const LogKey& key, std::uint8_t kind, std::uint32_t size,
                                    std::uint32_t payload_crc) {
  std::string out(kMagic);
  out.push_back(static_cast<char>(kind));
  out.append(3, '\0');
  put_u32(out, size);
  put_u32(out, payload_crc);
  put_u32(out, header_crc(key, out));
  return out;
}

std::string encode_log_frame(const LogKey& key, std::uint8_t kind, std::string_view payload) {
  auto out = encode_log_frame_header(key, kind, static_cast<std::uint32_t>(payload.size()),
                                     crc32(payload));
  out.append(payload);
  return out;
}

LogScan scan_log(const LogKey& key, std::string_view segment) {
  LogScan scan;
  std::size_t at = 0;
  while (at < segment.size() && !unwritten_from(segment, at)) {
    if (auto frame = frame_at(key, segment, at)) {
      at += kLogFrameHeader + frame->payload.size();
      scan.frames.push_back(*frame);
      continue;
    }
    // Damage: resynchronise on the next magic that starts a frame that checks out.
    auto next = at + 1;
    std::optional<LogFrame> found;
    for (;; ++next) {
      next = segment.find(kMagic, next);
      if (next == std::string_view::npos) break;
      if ((found = frame_at(key, segment, next))) break;
    }
    if (!found) {
      // Nothing checks out after it: the damage runs to the end of the written data (the
      // zero-filled rest, if any, excluded).
      auto end = segment.size();
      while (end > at && segment[end - 1] == '\0') --end;
      scan.damage.push_back({at, end - at, true});
      scan.end = end;
      return scan;
    }
    scan.damage.push_back({at, next - at, false});
    at = next;
  }
  scan.end = at;
  return scan;
}

}  // namespace mxrelay::queue
