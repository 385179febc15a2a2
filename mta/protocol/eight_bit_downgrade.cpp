// mta/protocol: 8-bit to 7-bit MIME conversion (RFC 6152 3, RFC 2045).
#include "mta/protocol/eight_bit_downgrade.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "mta/protocol/base64.hpp"

namespace mxrelay::mta {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";
constexpr std::size_t max_encoded_line = 76;

std::unexpected<core::Failure> cannot_convert(std::string_view why) {
  return std::unexpected(core::Failure::permanent(
      554, {5, 6, 3},
      "8-bit message content cannot be converted to 7 bit for a next hop without 8BITMIME: " +
          std::string(why)));
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

bool iequals(std::string_view a, std::string_view b) {
  return lower(a) == lower(b);
}

// A MIME entity: its header block (each field ending in CRLF) and its body.
struct Entity {
  std::string_view headers;
  std::string_view body;
  bool has_blank_line = false;
};

Entity split_entity(std::string_view text) {
  if (text.starts_with("\r\n")) return {{}, text.substr(2), true};
  const auto blank = text.find("\r\n\r\n");
  if (blank == std::string_view::npos) return {text, {}, false};
  return {text.substr(0, blank + 2), text.substr(blank + 4), true};
}

// One header field: the whole text (continuation lines included) and its unfolded value.
struct Field {
  std::string_view text;
  std::string name;
  std::string value;
};

std::vector<Field> fields_of(std::string_view headers) {
  std::vector<Field> fields;
  std::size_t position = 0;
  while (position < headers.size()) {
    std::size_t end = position;
    do {
      const auto crlf = headers.find("\r\n", end);
      end = crlf == std::string_view::npos ? headers.size() : crlf + 2;
    } while (end < headers.size() && (headers[end] == ' ' || headers[end] == '\t'));
    const auto text = headers.substr(position, end - position);
    const auto colon = text.find(':');
    Field field{text, {}, {}};
    if (colon != std::string_view::npos) {
      field.name = lower(trim(text.substr(0, colon)));
      for (char c : text.substr(colon + 1))
        if (c != '\r' && c != '\n') field.value += c;
    }
    fields.push_back(std::move(field));
    position = end;
  }
  return fields;
}

std::optional<std::string> field_value(const std::vector<Field>& fields, std::string_view name) {
  for (const auto& field : fields)
    if (field.name == name) return std::string(trim(field.value));
  return std::nullopt;
}

struct ContentType {
  std::string media;  // "text/plain", lower case
  std::string boundary;
};

// The value of a parameter of a Content-Type value (token or quoted string).
std::string parameter(std::string_view value, std::string_view name) {
  std::size_t position = value.find(';');
  while (position != std::string_view::npos) {
    auto rest = trim(value.substr(position + 1));
    const auto equals = rest.find('=');
    if (equals == std::string_view::npos) return {};
    const bool wanted = iequals(trim(rest.substr(0, equals)), name);
    rest = trim(rest.substr(equals + 1));
    std::string parsed;
    std::size_t consumed = 0;
    if (rest.starts_with('"')) {
      for (consumed = 1; consumed < rest.size() && rest[consumed] != '"'; ++consumed) {
        if (rest[consumed] == '\\' && consumed + 1 < rest.size()) ++consumed;
        parsed += rest[consumed];
      }
    } else {
      consumed = std::min(rest.find(';'), rest.size());
      parsed = std::string(trim(rest.substr(0, consumed)));
    }
    if (wanted) return parsed;
    const auto next = rest.find(';', consumed);
    if (next == std::string_view::npos) return {};
    position = static_cast<std::size_t>(rest.data() + next - value.data());
  }
  return {};
}

ContentType content_type_of(const std::vector<Field>& fields) {
  const auto value = field_value(fields, "content-type");
  if (!value) return {"text/plain", {}};
  const auto semicolon = value->find(';');
  return {lower(trim(std::string_view(*value).substr(0, semicolon))),
          parameter(*value, "boundary")};
}

// The header block without Content-Transfer-Encoding, followed by the given encoding.
std::string headers_with_encoding(const std::vector<Field>& fields, std::string_view encoding) {
  std::string out;
  for (const auto& field : fields)
    if (field.name != "content-transfer-encoding") out += field.text;
  out += "Content-Transfer-Encoding: ";
  out += encoding;
  out += "\r\n";
  return out;
}

using Converted = std::expected<std::string, core::Failure>;
Converted convert(std::string_view text, std::size_t depth);

// Positions of the content of each body part between boundary delimiter lines.
struct PartSpan {
  std::size_t begin;
  std::size_t end;
};

std::expected<std::vector<PartSpan>, core::Failure> split_multipart(std::string_view body,
                                                                    std::string_view boundary) {
  const std::string delimiter = "--" + std::string(boundary);
  std::vector<PartSpan> parts;
  std::optional<std::size_t> part_begin;
  for (std::size_t line = 0; line < body.size();) {
    auto crlf = body.find("\r\n", line);
    const std::size_t line_end = crlf == std::string_view::npos ? body.size() : crlf;
    const std::size_t next = crlf == std::string_view::npos ? body.size() : crlf + 2;
    const auto text = body.substr(line, line_end - line);
    if (text.starts_with(delimiter)) {
      const auto rest = trim(text.substr(delimiter.size()));
      if (rest.empty() || rest == "--") {
        if (part_begin)
          parts.push_back({*part_begin, std::max(*part_begin, line >= 2 ? line - 2 : line)});
        if (rest == "--") return parts;
        part_begin = next;
      }
    }
    line = next;
  }
  return cannot_convert("a multipart body has no closing boundary");
}

Converted convert_multipart(const std::vector<Field>& fields, const Entity& entity,
                            const ContentType& type, std::size_t depth) {
  if (type.boundary.empty()) return cannot_convert("a multipart has no boundary parameter");
  const auto parts = split_multipart(entity.body, type.boundary);
  if (!parts) return std::unexpected(parts.error());
  if (parts->empty()) return cannot_convert("a multipart has no body parts");
  std::string out;
  for (const auto& field : fields)
    if (field.name != "content-transfer-encoding") out += field.text;
  out += "\r\n";
  std::size_t copied = 0;
  for (const auto& part : *parts) {
    const auto between = entity.body.substr(copied, part.begin - copied);
    if (has_eight_bit(between)) return cannot_convert("8-bit text outside the body parts");
    out += between;
    auto converted = convert(entity.body.substr(part.begin, part.end - part.begin), depth + 1);
    if (!converted) return converted;
    out += *converted;
    copied = part.end;
  }
  const auto epilogue = entity.body.substr(copied);
  if (has_eight_bit(epilogue)) return cannot_convert("8-bit text outside the body parts");
  out += epilogue;
  return out;
}

Converted convert(std::string_view text, std::size_t depth) {
  if (!has_eight_bit(text)) return std::string(text);
  if (depth > max_mime_depth) return cannot_convert("MIME parts nested too deeply");
  const auto entity = split_entity(text);
  if (has_eight_bit(entity.headers)) return cannot_convert("8-bit octets in header fields");
  const auto fields = fields_of(entity.headers);
  const auto type = content_type_of(fields);
  if (type.media.starts_with("multipart/")) return convert_multipart(fields, entity, type, depth);
  if (type.media.starts_with("message/")) return cannot_convert("8-bit octets in a message part");
  const auto encoding = lower(field_value(fields, "content-transfer-encoding").value_or("7bit"));
  if (encoding != "7bit" && encoding != "8bit")
    return cannot_convert("8-bit octets in a part with transfer encoding " + encoding);
  const bool text_part = type.media.starts_with("text/");
  std::string out = headers_with_encoding(fields, text_part ? "quoted-printable" : "base64");
  out += "\r\n";
  out += text_part ? quoted_printable(entity.body) : base64_lines(entity.body);
  return out;
}

void append_encoded(std::string& out, unsigned char c) {
  out += '=';
  out += hex_digits[c >> 4];
  out += hex_digits[c & 0x0f];
}

void append_quoted_printable_line(std::string& out, std::string_view line) {
  std::size_t length = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
    const std::size_t width = literal ? 1 : 3;
    // Keep room for the soft break "=" unless this is the line's last character.
    if (length + width > (last ? max_encoded_line : max_encoded_line - 1)) {
      out += "=\r\n";
      length = 0;
    }
    if (literal)
      out += static_cast<char>(c);
    else
      append_encoded(out, c);
    length += width;
  }
}

}  // namespace

bool has_eight_bit(std::string_view data) {
  return std::ranges::any_of(data, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

std::expected<std::string, core::Failure> downgrade_to_seven_bit(std::string_view message) {
  if (!has_eight_bit(message)) return std::string(message);
  const auto entity = split_entity(message);
  if (has_eight_bit(entity.headers)) return cannot_convert("8-bit octets in header fields");
  if (!field_value(fields_of(entity.headers), "mime-version"))
    return cannot_convert("the message is not MIME (no MIME-Version header field)");
  return convert(message, 0);
}

std::string quoted_printable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (std::size_t line = 0; line < text.size();) {
    const auto crlf = text.find("\r\n", line);
    const std::size_t end = crlf == std::string_view::npos ? text.size() : crlf;
    append_quoted_printable_line(out, text.substr(line, end - line));
    if (crlf == std::string_view::npos) break;
    out += "\r\n";
    line = crlf + 2;
  }
  return out;
}

std::string base64_lines(std::string_view bytes) {
  const std::string encoded = encode_base64(bytes);
  std::string out;
  out.reserve(encoded.size() + encoded.size() / max_encoded_line * 2 + 2);
  for (std::size_t pos = 0; pos < encoded.size(); pos += max_encoded_line) {
    out.append(encoded, pos, max_encoded_line);
    out += "\r\n";
  }
  return out;
}

}  // namespace mxrelay::mta
