// mta/cluster: one Redis reply as a value (RESP2): a bulk or status string, an integer, nil, an
// array of replies, or an error reply ("NOSCRIPT No matching script..."). Copied out of
// hiredis' reply object, so it outlives the callback that delivered it. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mxrelay::mta {

struct RedisReply {
  enum class Type { string, status, integer, nil, array, error };
  Type type = Type::nil;
  std::string text;  // string, status, error
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;  // array

  bool is_error() const { return type == Type::error; }
  // An error reply whose first word is `code` ("NOSCRIPT").
  bool is_error(std::string_view code) const;
};

}  // namespace mxrelay::mta
