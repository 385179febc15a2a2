// mta/dkim: one DKIM-Signature header field (RFC 6376 3.5) over a message: c=relaxed/relaxed,
// t= set, no l=, the configured header fields as many times as they occur (bottom-up, as
// 5.4.2 orders them) and From once more (oversigned, so a From added later breaks the
// signature). The field is folded below 78 characters a line; its hash covers exactly the
// text it is emitted with.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mta/dkim/dkim_key.hpp"
#include "mta/protocol/header_fields.hpp"

namespace mxrelay::mta::dkim {

struct SignatureRequest {
  std::string_view domain;    // d=
  std::string_view selector;  // s=
  const DkimKey* key = nullptr;
  std::span<const std::string> headers;  // field names to sign
  std::int64_t timestamp = 0;            // t=
  std::string_view body_hash;            // bh=, base64 of the relaxed body's SHA-256
};

// The whole field, "DKIM-Signature: v=1; ...\r\n", for the message split into `parts`.
std::string signature_field(const SignatureRequest& request, const MessageParts& parts);

// bh= for `body`.
std::string body_hash(std::string_view body);

}  // namespace mxrelay::mta::dkim
