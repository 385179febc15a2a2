// mta/protocol: a recursive-descent parser for RFC 5321 paths, one function per grammar rule.
#include "mta/protocol/mailbox_path.hpp"

#include <cstdint>

#include "core/ip_address.hpp"

namespace mxrelay::mta {

namespace {

constexpr std::size_t kMaxLocalPart = 64;
constexpr std::size_t kMaxDomain = 255;
constexpr std::size_t kMaxPath = 256;
constexpr std::size_t kMaxLabel = 63;

bool is_alpha(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
bool is_let_dig(unsigned char c) {
  return is_alpha(c) || is_digit(c);
}
bool is_hex_digit(unsigned char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// RFC 5322 atext (ASCII part).
bool is_atext(unsigned char c) {
  if (is_let_dig(c)) return true;
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

// RFC 5321 qtextSMTP: printable ASCII and space, except '"' and '\'.
bool is_qtext(unsigned char c) {
  return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

// RFC 5321 dcontent: printable ASCII except '[', '\', ']'.
bool is_dcontent(unsigned char c) {
  return c >= 33 && c <= 126 && c != '[' && c != '\\' && c != ']';
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    unsigned char a = static_cast<unsigned char>(text[i]);
    unsigned char b = static_cast<unsigned char>(prefix[i]);
    if ((a | 0x20) != (b | 0x20)) return false;
  }
  return true;
}

// The octets of the well-formed UTF-8 encoding of one non-ASCII code point at text[pos]
// (no overlong forms, no surrogates, at most U+10FFFF); 0 if there is none.
std::size_t utf8_sequence_length(std::string_view text, std::size_t pos) {
  unsigned char lead = static_cast<unsigned char>(text[pos]);
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
  } else {
    return 0;
  }
  if (pos + length > text.size()) return 0;
  std::uint32_t code_point = lead & (0x7Fu >> length);
  for (std::size_t i = 1; i < length; ++i) {
    unsigned char next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  if (length == 3 && (code_point < 0x800 || (code_point >= 0xD800 && code_point <= 0xDFFF)))
    return 0;
  if (length == 4 && (code_point < 0x10000 || code_point > 0x10FFFF)) return 0;
  return length;
}

class PathParser {
 public:
  explicit PathParser(std::string_view text) : text_(text) {}

  std::expected<ParsedPath, PathError> parse() {
    if (!accept('<')) return std::unexpected(PathError::syntax);
    if (accept('>')) return ParsedPath{MailboxPath{}, pos_};
    if (peek() == '@' && !source_route()) return std::unexpected(PathError::syntax);
    std::size_t local_start = pos_;
    if (!local_part()) return std::unexpected(PathError::syntax);
    std::size_t local_end = pos_;
    if (!accept('@')) return std::unexpected(PathError::syntax);
    std::size_t domain_start = pos_;
    bool domain_ok = peek() == '[' ? address_literal() : domain_name();
    if (!domain_ok) return std::unexpected(PathError::syntax);
    std::size_t domain_end = pos_;
    if (!accept('>')) return std::unexpected(PathError::syntax);
    if (local_end - local_start > kMaxLocalPart || domain_end - domain_start > kMaxDomain ||
        pos_ > kMaxPath)
      return std::unexpected(PathError::too_long);
    MailboxPath path{std::string(text_.substr(local_start, local_end - local_start)),
                     std::string(text_.substr(domain_start, domain_end - domain_start)), utf8_};
    return ParsedPath{std::move(path), pos_};
  }

 private:
  int peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }

  bool accept(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  // Consumes one non-ASCII UTF-8 character if one starts here.
  bool accept_utf8() {
    if (pos_ >= text_.size()) return false;
    std::size_t length = utf8_sequence_length(text_, pos_);
    if (length == 0) return false;
    pos_ += length;
    utf8_ = true;
    return true;
  }

  // A-d-l ":" = At-domain *( "," At-domain ) ":"; At-domain = "@" Domain.
  bool source_route() {
    do {
      if (!accept('@') || !domain_name()) return false;
    } while (accept(','));
    return accept(':');
  }

  // Local-part = Dot-string / Quoted-string.
  bool local_part() { return peek() == '"' ? quoted_string() : dot_string(); }

  // Dot-string = Atom *("." Atom).
  bool dot_string() {
    do {
      if (!atom()) return false;
    } while (accept('.'));
    return true;
  }

  // Atom = 1*atext, where RFC 6531 adds UTF8-non-ascii to atext.
  bool atom() {
    std::size_t start = pos_;
    while (pos_ < text_.size()) {
      if (is_atext(static_cast<unsigned char>(text_[pos_]))) {
        ++pos_;
      } else if (!accept_utf8()) {
        break;
      }
    }
    return pos_ > start;
  }

  // Quoted-string = DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE.
  bool quoted_string() {
    if (!accept('"')) return false;
    while (pos_ < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return false;
        unsigned char quoted = static_cast<unsigned char>(text_[pos_ + 1]);
        if (quoted < 32 || quoted > 126) return false;
        pos_ += 2;
      } else if (is_qtext(c)) {
        ++pos_;
      } else if (!accept_utf8()) {
        return false;
      }
    }
    return false;
  }

  // Domain = sub-domain *("." sub-domain).
  bool domain_name() {
    do {
      if (!sub_domain()) return false;
    } while (accept('.'));
    return true;
  }

  // sub-domain = Let-dig [Ldh-str] (a label of at most 63 octets), or an RFC 6531 U-label.
  bool sub_domain() {
    std::size_t start = pos_;
    bool last_was_hyphen = false;
    while (pos_ < text_.size()) {
      unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (is_let_dig(c)) {
        ++pos_;
        last_was_hyphen = false;
      } else if (c == '-' && pos_ > start) {
        ++pos_;
        last_was_hyphen = true;
      } else if (accept_utf8()) {
        last_was_hyphen = false;
      } else {
        break;
      }
    }
    return pos_ > start && !last_was_hyphen && pos_ - start <= kMaxLabel;
  }

  // address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]".
  // General-address-literal has no registered tags, so it is refused.
  bool address_literal() {
    if (!accept('[')) return false;
    std::size_t start = pos_;
    while (pos_ < text_.size() && is_dcontent(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    std::string_view content = text_.substr(start, pos_ - start);
    if (!accept(']')) return false;
    static constexpr std::string_view kIpv6Tag = "IPv6:";
    if (starts_with_ignoring_case(content, kIpv6Tag)) {
      std::string_view address = content.substr(kIpv6Tag.size());
      for (char c : address)
        if (!is_hex_digit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return false;
      auto parsed = core::IpAddress::parse(address);
      return parsed && parsed->is_v6();
    }
    for (char c : content)
      if (!is_digit(static_cast<unsigned char>(c)) && c != '.') return false;
    auto parsed = core::IpAddress::parse(content);
    return parsed && !parsed->is_v6();
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  bool utf8_ = false;
};

}  // namespace

std::string MailboxPath::address() const {
  if (is_null()) return {};
  std::string out;
  out.reserve(local_part.size() + 1 + domain.size());
  out.append(local_part).append(1, '@').append(domain);
  return out;
}

std::expected<ParsedPath, PathError> parse_path(std::string_view text) {
  return PathParser(text).parse();
}

}  // namespace mxrelay::mta
