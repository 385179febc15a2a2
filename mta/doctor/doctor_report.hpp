// mta/doctor: the output of `mxrelay doctor`: one line per check ("FAIL  spf example.org:
// ...") or one JSON object {"checks":[...],"result":"pass|fail"}, and the overall result
// (failed when any check failed; warnings pass). Pure.
#pragma once

#include <string>
#include <vector>

#include "mta/doctor/sending_path_checks.hpp"

namespace mxrelay::mta::doctor {

bool any_failed(const std::vector<Check>& checks);

std::string render_text(const std::vector<Check>& checks);

std::string render_json(const std::vector<Check>& checks);

}  // namespace mxrelay::mta::doctor
