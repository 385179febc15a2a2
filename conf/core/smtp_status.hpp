// core: SMTP reply codes with RFC 3463 enhanced status codes, and the Failure value that
// every module uses to say "this did not work, temporarily or for good, and why".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mxrelay::core {

// RFC 3463 class.subject.detail, e.g. 4.4.3.
struct EnhancedStatus {
  int klass = 0;
  int subject = 0;
  int detail = 0;

  // Parses "X.Y.Z" at the start of text; nullopt if absent or malformed.
  static std::optional<EnhancedStatus> parse(std::string_view text);
  std::string str() const;
  bool operator==(const EnhancedStatus&) const = default;
};

// A failure that is part of the domain (DNS trouble, 4xx, 5xx), never an exception.
struct Failure {
  enum class Kind { temporary, permanent };
  Kind kind = Kind::temporary;
  int reply_code = 451;  // the SMTP code this maps to, e.g. 451, 554, 556
  EnhancedStatus status{4, 0, 0};
  std::string reason;
  // The remote server's reply when the failure is its answer ("550 5.1.1 No such user"), for
  // the DSN's Diagnostic-Code; "" when the failure is ours (DNS, policy, a timeout).
  std::string remote_reply = {};

  static Failure temporary(int code, EnhancedStatus status, std::string reason) {
    return {Kind::temporary, code, status, std::move(reason), {}};
  }
  static Failure permanent(int code, EnhancedStatus status, std::string reason) {
    return {Kind::permanent, code, status, std::move(reason), {}};
  }
  bool is_permanent() const { return kind == Kind::permanent; }
  // "451 4.4.3 reason"
  std::string str() const;
};

}  // namespace mxrelay::core
