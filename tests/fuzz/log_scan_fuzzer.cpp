// tests/fuzz: the scan of a spool log segment (queue/log_frame), over hostile bytes and over
// real segments with one byte flipped. Properties: frames and damaged ranges come in order,
// never overlap and together cover the written data exactly, and each frame encodes back to
// the bytes it was read from; after the written data only zeros follow. In a segment built
// from frames, flipping one byte loses at most the frame that holds it: every other frame is
// read back at its offset.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_input.hpp"
#include "queue/log_frame.hpp"

namespace {

using mxrelay::fuzz::require;
using namespace mxrelay::queue;

constexpr LogKey kKey = {'f', 'u', 'z', 'z', 'k', 'e', 'y', '!'};

void check_scan(std::string_view segment, const LogScan& scan) {
  std::size_t at = 0;
  std::size_t frame = 0, damage = 0;
  while (frame < scan.frames.size() || damage < scan.damage.size()) {
    const bool take_frame =
        damage == scan.damage.size() ||
        (frame < scan.frames.size() && scan.frames[frame].offset < scan.damage[damage].offset);
    if (take_frame) {
      const auto& found = scan.frames[frame++];
      require(found.offset == at, "frames and damage cover the written data without gaps");
      const auto bytes = encode_log_frame(kKey, found.kind, found.payload);
      require(segment.substr(at, bytes.size()) == bytes, "a frame encodes back to its bytes");
      at += bytes.size();
    } else {
      const auto& range = scan.damage[damage++];
      require(range.offset == at && range.length > 0, "damage ranges are in order and not empty");
      at += range.length;
    }
  }
  require(at == scan.end && scan.end <= segment.size(),
          "the written data ends where the scan says");
  const auto rest = segment.substr(scan.end, kLogFrameHeader);
  for (char c : rest) require(c == '\0', "only zeros follow the written data");
}

// Payloads cut from the input, with "MXLG" defused so that no payload holds a frame.
std::vector<std::string> payloads_from(std::string_view input, mxrelay::fuzz::Choices& choices) {
  std::vector<std::string> out;
  while (!input.empty() && out.size() < 16) {
    auto part = std::string(input.substr(0, choices.length(64)));
    input.remove_prefix(part.size());
    for (auto at = part.find("MXLG"); at != std::string::npos; at = part.find("MXLG", at))
      part[at] = 'm';
    out.push_back(std::move(part));
  }
  return out;
}

void check_one_flip(std::string_view input) {
  if (input.size() < 4) return;
  mxrelay::fuzz::Choices choices(static_cast<std::uint32_t>(input[0]) << 8 |
                                 static_cast<unsigned char>(input[1]));
  const auto payloads = payloads_from(input.substr(2), choices);
  std::string segment;
  std::vector<std::size_t> offsets;
  for (const auto& payload : payloads) {
    offsets.push_back(segment.size());
    segment += encode_log_frame(kKey, 'M', payload);
  }
  if (segment.empty()) return;
  const auto flip = choices.next() % segment.size();
  segment[flip] = static_cast<char>(segment[flip] ^ (1 + choices.next() % 255));
  const auto scan = scan_log(kKey, segment);
  check_scan(segment, scan);
  for (std::size_t i = 0; i < offsets.size(); ++i) {
    const auto end = offsets[i] + kLogFrameHeader + payloads[i].size();
    if (flip >= offsets[i] && flip < end) continue;
    bool found = false;
    for (const auto& frame : scan.frames)
      if (frame.offset == offsets[i] && frame.payload == payloads[i]) found = true;
    require(found, "a flipped byte loses only the frame that holds it");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = mxrelay::fuzz::as_text(data, size);
  check_scan(input, scan_log(kKey, input));
  check_one_flip(input);
  return 0;
}
