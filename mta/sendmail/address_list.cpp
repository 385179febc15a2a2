// mta/sendmail: parse_address_list().
#include "mta/sendmail/address_list.hpp"

#include <optional>

namespace mxrelay::mta::sendmail {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class AddressListParser {
 public:
  explicit AddressListParser(std::string_view text) : text_(text) {}

  std::expected<std::vector<std::string>, std::string> run() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '"') {
        if (!copy_quoted(pending_)) return std::unexpected("unterminated quoted string");
      } else if (c == '(') {
        if (!skip_comment()) return std::unexpected("unterminated comment");
      } else if (c == '<') {
        if (!take_angle_address()) return std::unexpected("unterminated <address>");
      } else if (c == ':' && !angle_) {
        pending_.clear();  // a group's display name
        ++pos_;
      } else if (c == ',' || c == ';') {
        finish_mailbox();
        ++pos_;
      } else {
        if (!is_space(c)) pending_ += c;
        ++pos_;
      }
    }
    finish_mailbox();
    return std::move(addresses_);
  }

 private:
  // Copies the quoted string at pos_, quotes and escapes included, to out.
  bool copy_quoted(std::string& out) {
    out += text_[pos_++];
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      out += c;
      if (c == '\\' && pos_ < text_.size())
        out += text_[pos_++];
      else if (c == '"')
        return true;
    }
    return false;
  }

  bool skip_comment() {
    int depth = 0;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '\\')
        ++pos_;
      else if (c == '(')
        ++depth;
      else if (c == ')' && --depth == 0)
        return true;
    }
    return false;
  }

  // "<[@route,@route:]local@domain>": the address without the route; the display name that
  // came before it is dropped.
  bool take_angle_address() {
    ++pos_;
    std::string address;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '>') {
        ++pos_;
        if (address.starts_with("@")) {
          auto colon = address.find(':');
          address = colon == std::string::npos ? "" : address.substr(colon + 1);
        }
        angle_ = std::move(address);
        pending_.clear();
        return true;
      }
      if (c == '"') {
        if (!copy_quoted(address)) return false;
      } else if (c == '(') {
        if (!skip_comment()) return false;
      } else {
        if (!is_space(c)) address += c;
        ++pos_;
      }
    }
    return false;
  }

  void finish_mailbox() {
    std::string address = angle_ ? std::move(*angle_) : std::move(pending_);
    if (!address.empty()) addresses_.push_back(std::move(address));
    angle_.reset();
    pending_.clear();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string pending_;               // an addr-spec, or a display name until '<' or ':'
  std::optional<std::string> angle_;  // the mailbox's <address>, once seen
  std::vector<std::string> addresses_;
};

}  // namespace

std::expected<std::vector<std::string>, std::string> parse_address_list(std::string_view text) {
  return AddressListParser(text).run();
}

}  // namespace mxrelay::mta::sendmail
