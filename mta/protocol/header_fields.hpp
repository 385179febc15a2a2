// mta/protocol: the header section of a message (RFC 5322 2.2) as the relay holds it (CRLF
// lines): each field with its folded continuation lines, in order, and where the body starts.
// A line without a colon that is not a continuation ends nothing: it is kept as a field whose
// name is the whole line, so nothing of the header is lost when fields are read this way.
#pragma once

#include <string_view>
#include <vector>

namespace mxrelay::mta {

struct HeaderField {
  std::string_view name;  // before the colon, as written
  std::string_view raw;   // the whole field, name and folded lines, without the final CRLF
};

struct MessageParts {
  std::vector<HeaderField> fields;
  std::string_view body;  // after the empty line that ends the header; "" without one
  // A field's first line holds no colon, or a continuation line comes first: verifiers and
  // mail readers disagree about such a header.
  bool malformed = false;
};

MessageParts split_message(std::string_view message);

// The number of fields named `name`.
std::size_t count_fields(const MessageParts& parts, std::string_view name);

}  // namespace mxrelay::mta
