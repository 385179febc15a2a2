// mta/protocol: strict base64 (RFC 4648 4, with padding, no line breaks or spaces), as SASL
// (RFC 4954 4) and the credentials file use it. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::mta {

std::string encode_base64(std::string_view bytes);
// nullopt unless text is canonical base64: length a multiple of 4, only the alphabet, "="
// padding only at the end, and zero bits after the last encoded octet.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace mxrelay::mta
