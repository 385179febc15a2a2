// mta/dkim: signature_field() and body_hash().
#include "mta/dkim/dkim_signature.hpp"

#include <algorithm>
#include <map>
#include <vector>

#include "core/ascii_case.hpp"
#include "mta/dkim/dkim_canonical.hpp"
#include "mta/protocol/base64.hpp"

namespace mxrelay::mta::dkim {

namespace {

constexpr std::size_t kLineWidth = 76;
// Instances of one field signed at most (the bottom-most ones, which verifiers take first); a
// message with thousands of To: fields must not make the signature grow without bound.
constexpr std::size_t kMaxInstances = 50;

// The h= names: each configured name as often as it occurs, From once more.
std::vector<std::string> signed_names(std::span<const std::string> headers,
                                      const MessageParts& parts) {
  std::vector<std::string> names;
  for (const auto& header : headers) {
    std::size_t occurs = std::min(count_fields(parts, header), kMaxInstances);
    if (core::equals_ignoring_case(header, "From")) ++occurs;
    for (std::size_t i = 0; i < occurs; ++i) names.push_back(core::lower_ascii(header));
  }
  return names;
}

// The canonical fields h= names, each name taking its instances from the bottom up; a name
// with no instance left contributes nothing (RFC 6376 5.4.2). Fields are indexed by name once.
std::string canonical_signed_fields(const std::vector<std::string>& names,
                                    const MessageParts& parts) {
  std::map<std::string, std::vector<const HeaderField*>> bottom_up;
  for (auto field = parts.fields.rbegin(); field != parts.fields.rend(); ++field)
    bottom_up[core::lower_ascii(field->name)].push_back(&*field);
  std::map<std::string, std::size_t> used;
  std::string out;
  for (const auto& name : names) {
    const std::size_t next = used[name]++;
    const auto found = bottom_up.find(name);
    if (found != bottom_up.end() && next < found->second.size())
      out += relaxed_header(found->second[next]->raw);
  }
  return out;
}

// Joins pieces with a space (or nothing, when glued), or with a fold when the line would grow
// past kLineWidth.
class Folder {
 public:
  explicit Folder(std::string start) : text_(std::move(start)), line_(text_.size()) {}
  void add(std::string_view piece, bool glued = false) {
    const std::size_t separator = glued ? 0 : 1;
    if (line_ + separator + piece.size() > kLineWidth) {
      text_ += "\r\n\t";
      line_ = 1;
    } else if (!glued) {
      text_ += ' ';
      ++line_;
    }
    text_ += piece;
    line_ += piece.size();
  }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::size_t line_;
};

}  // namespace

std::string body_hash(std::string_view body) {
  return encode_base64(sha256(relaxed_body(body)));
}

std::string signature_field(const SignatureRequest& request, const MessageParts& parts) {
  Folder folder("DKIM-Signature:");
  folder.add("v=1;");
  folder.add("a=" + std::string(request.key->algorithm_name()) + ";");
  folder.add("c=relaxed/relaxed;");
  folder.add("d=" + std::string(request.domain) + ";");
  folder.add("s=" + std::string(request.selector) + ";");
  folder.add("t=" + std::to_string(request.timestamp) + ";");
  const auto names = signed_names(request.headers, parts);
  for (std::size_t i = 0; i < names.size(); ++i)
    folder.add((i == 0 ? "h=" : "") + names[i] + (i + 1 < names.size() ? ":" : ";"), i > 0);
  folder.add("bh=" + std::string(request.body_hash) + ";");
  folder.add("b=");
  const std::string unsigned_field = folder.text();

  std::string data = canonical_signed_fields(names, parts);
  std::string own = relaxed_header(unsigned_field);
  own.resize(own.size() - 2);  // the signature field itself is hashed without its CRLF
  data += own;
  const std::string signature = encode_base64(request.key->sign(data));

  std::string field = unsigned_field;
  std::size_t line = field.size() - field.rfind('\n') - 1;
  for (std::size_t pos = 0; pos < signature.size();) {
    const std::size_t room = line >= kLineWidth ? 0 : kLineWidth - line;
    if (room == 0) {
      field += "\r\n\t";
      line = 1;
      continue;
    }
    const auto piece = signature.substr(pos, room);
    field += piece;
    line += piece.size();
    pos += piece.size();
  }
  field += "\r\n";
  return field;
}

}  // namespace mxrelay::mta::dkim
