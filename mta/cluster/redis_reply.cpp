// mta/cluster: RedisReply.
#include "mta/cluster/redis_reply.hpp"

namespace mxrelay::mta {

bool RedisReply::is_error(std::string_view code) const {
  if (type != Type::error || !text.starts_with(code)) return false;
  return text.size() == code.size() || text[code.size()] == ' ';
}

}  // namespace mxrelay::mta
