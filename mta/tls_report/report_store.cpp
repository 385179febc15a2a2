// mta/tls_report: counting, closing periods and the JSON form of the store (see
// report_store.hpp).
#include "mta/tls_report/report_store.hpp"

#include <boost/json.hpp>

namespace mxrelay::mta::tlsrpt {

namespace json = boost::json;

namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kStoreVersion = 1;

json::array strings_to_json(const std::vector<std::string>& strings) {
  json::array out;
  for (const auto& text : strings) out.emplace_back(text);
  return out;
}

json::object policy_to_json(const PolicyKey& key, const PolicyCounts& counts) {
  json::array details;
  for (const auto& [failure, count] : counts.details)
    details.push_back(json::object{{"result", to_string(failure.result)},
                                   {"sending_ip", failure.sending_ip},
                                   {"receiving_mx", failure.receiving_mx},
                                   {"receiving_ip", failure.receiving_ip},
                                   {"count", count}});
  return {{"domain", key.domain},
          {"type", key.type},
          {"strings", strings_to_json(key.strings)},
          {"mx_hosts", strings_to_json(key.mx_hosts)},
          {"successes", counts.successes},
          {"failures", counts.failures},
          {"details", std::move(details)}};
}

json::array policies_to_json(const PolicyMap& policies) {
  json::array out;
  for (const auto& [key, counts] : policies) out.push_back(policy_to_json(key, counts));
  return out;
}

// Reading: every member must be there with its type, or the whole file is refused.
struct Reader {
  std::string error;

  const json::value* member(const json::object& object, std::string_view name) {
    const auto* found = object.if_contains(name);
    if (!found && error.empty()) error = "missing member \"" + std::string(name) + "\"";
    return found;
  }
  std::string text(const json::object& object, std::string_view name) {
    const auto* found = member(object, name);
    if (found && found->is_string()) return std::string(found->as_string());
    if (found && error.empty()) error = "\"" + std::string(name) + "\" is not a string";
    return {};
  }
  std::int64_t number(const json::object& object, std::string_view name) {
    const auto* found = member(object, name);
    if (found && found->is_int64() && found->as_int64() >= 0) return found->as_int64();
    if (found && found->is_uint64()) return static_cast<std::int64_t>(found->as_uint64());
    if (found && error.empty()) error = "\"" + std::string(name) + "\" is not a count";
    return 0;
  }
  const json::array& array(const json::object& object, std::string_view name) {
    static const json::array kEmpty;
    const auto* found = member(object, name);
    if (found && found->is_array()) return found->as_array();
    if (found && error.empty()) error = "\"" + std::string(name) + "\" is not an array";
    return kEmpty;
  }
  const json::object& object_of(const json::value& value) {
    static const json::object kEmpty;
    if (value.is_object()) return value.as_object();
    if (error.empty()) error = "an element is not an object";
    return kEmpty;
  }
  std::vector<std::string> strings(const json::object& object, std::string_view name) {
    std::vector<std::string> out;
    for (const auto& item : array(object, name)) {
      if (item.is_string())
        out.emplace_back(item.as_string());
      else if (error.empty())
        error = "\"" + std::string(name) + "\" holds a non-string";
    }
    return out;
  }
  void policies(const json::array& items, PolicyMap& out) {
    for (const auto& item : items) {
      const auto& object = object_of(item);
      PolicyKey key{text(object, "domain"), text(object, "type"), strings(object, "strings"),
                    strings(object, "mx_hosts")};
      PolicyCounts counts;
      counts.successes = static_cast<std::uint64_t>(number(object, "successes"));
      counts.failures = static_cast<std::uint64_t>(number(object, "failures"));
      for (const auto& detail_item : array(object, "details")) {
        const auto& detail = object_of(detail_item);
        const auto result = result_from_string(text(detail, "result"));
        if (!result && error.empty()) error = "unknown result type";
        FailureKey failure{result.value_or(Result::validation_failure), text(detail, "sending_ip"),
                           text(detail, "receiving_mx"), text(detail, "receiving_ip")};
        counts.details[failure] += static_cast<std::uint64_t>(number(detail, "count"));
      }
      out[std::move(key)] = std::move(counts);
    }
  }
};

}  // namespace

std::int64_t utc_day_start(std::int64_t unix_seconds) {
  return unix_seconds - ((unix_seconds % kDay) + kDay) % kDay;
}

std::int64_t next_utc_day(std::int64_t unix_seconds) {
  return utc_day_start(unix_seconds) + kDay;
}

void ReportStore::record(const Observation& observation) {
  auto& counts = open_[observation.policy];
  if (observation.result == Result::success) {
    ++counts.successes;
    return;
  }
  ++counts.failures;
  FailureKey key{observation.result, observation.sending_ip, observation.receiving_mx,
                 observation.receiving_ip};
  if (!counts.details.contains(key) && counts.details.size() >= kMaxFailureDetails)
    key = FailureKey{observation.result, "", "", ""};
  ++counts.details[key];
}

void ReportStore::close(std::int64_t end,
                        const std::function<std::string(const std::string&)>& report_id) {
  std::map<std::string, PolicyMap> by_domain;
  for (auto& [key, counts] : open_) by_domain[key.domain].emplace(key, std::move(counts));
  for (auto& [domain, policies] : by_domain) {
    PendingReport report;
    report.domain = domain;
    report.begin = begin_;
    report.end = end;
    report.report_id = report_id(domain);
    report.policies = std::move(policies);
    pending_.push_back(std::move(report));
  }
  open_.clear();
  begin_ = end;
}

std::string ReportStore::serialize() const {
  json::array pending;
  for (const auto& report : pending_)
    pending.push_back(json::object{{"domain", report.domain},
                                   {"begin", report.begin},
                                   {"end", report.end},
                                   {"report_id", report.report_id},
                                   {"attempts", report.attempts},
                                   {"looked_up", report.looked_up},
                                   {"rua_left", strings_to_json(report.rua_left)},
                                   {"policies", policies_to_json(report.policies)}});
  return json::serialize(json::object{{"version", kStoreVersion},
                                      {"begin", begin_},
                                      {"open", policies_to_json(open_)},
                                      {"pending", std::move(pending)}}) +
         "\n";
}

std::expected<ReportStore, std::string> ReportStore::parse(std::string_view text) {
  boost::system::error_code parse_error;
  auto value = json::parse(text, parse_error);
  if (parse_error) return std::unexpected("not JSON: " + parse_error.message());
  if (!value.is_object()) return std::unexpected(std::string("not a JSON object"));
  const auto& root = value.as_object();
  Reader reader;
  if (reader.number(root, "version") != kStoreVersion && reader.error.empty())
    return std::unexpected(std::string("unknown version"));
  ReportStore store(reader.number(root, "begin"));
  reader.policies(reader.array(root, "open"), store.open_);
  for (const auto& item : reader.array(root, "pending")) {
    const auto& object = reader.object_of(item);
    PendingReport report;
    report.domain = reader.text(object, "domain");
    report.begin = reader.number(object, "begin");
    report.end = reader.number(object, "end");
    report.report_id = reader.text(object, "report_id");
    report.attempts = static_cast<unsigned>(reader.number(object, "attempts"));
    const auto* looked_up = reader.member(object, "looked_up");
    report.looked_up = looked_up && looked_up->is_bool() && looked_up->as_bool();
    report.rua_left = reader.strings(object, "rua_left");
    reader.policies(reader.array(object, "policies"), report.policies);
    store.pending_.push_back(std::move(report));
  }
  if (!reader.error.empty()) return std::unexpected(reader.error);
  return store;
}

}  // namespace mxrelay::mta::tlsrpt
