// mta/doctor: any_failed(), render_text(), render_json().
#include "mta/doctor/doctor_report.hpp"

#include <algorithm>
#include <boost/json.hpp>

namespace mxrelay::mta::doctor {

namespace {

const char* label(CheckStatus status) {
  switch (status) {
    case CheckStatus::pass:
      return "PASS  ";
    case CheckStatus::warn:
      return "WARN  ";
    case CheckStatus::fail:
      return "FAIL  ";
  }
  return "FAIL  ";
}

}  // namespace

bool any_failed(const std::vector<Check>& checks) {
  return std::ranges::any_of(checks,
                             [](const Check& check) { return check.status == CheckStatus::fail; });
}

std::string render_text(const std::vector<Check>& checks) {
  std::string out;
  for (const auto& check : checks)
    out += label(check.status) + check.name + " " + check.subject + ": " + check.detail + "\n";
  out += any_failed(checks) ? "result: fail\n" : "result: pass\n";
  return out;
}

std::string render_json(const std::vector<Check>& checks) {
  boost::json::array rows;
  for (const auto& check : checks)
    rows.push_back(boost::json::object{{"check", check.name},
                                       {"subject", check.subject},
                                       {"status", to_string(check.status)},
                                       {"detail", check.detail}});
  boost::json::object root{{"checks", std::move(rows)},
                           {"result", any_failed(checks) ? "fail" : "pass"}};
  return boost::json::serialize(root) + "\n";
}

}  // namespace mxrelay::mta::doctor
