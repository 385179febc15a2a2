// resolver: rendering of a RouteExplanation for `mxrelay route`: human-readable text, and
// one JSON object with the same facts for scripts.
#pragma once

#include <string>

#include "route.hpp"

namespace mxrelay::resolver {

// "deliver", "defer" (temporary failure) or "bounce" (permanent failure).
const char* verdict_name(const RouteResult& result);

std::string render_route_text(const RouteExplanation& explanation);
std::string render_route_json(const RouteExplanation& explanation);

}  // namespace mxrelay::resolver
