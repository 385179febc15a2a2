// mta/protocol: command-line splitting and MAIL/RCPT argument parsing.
#include "mta/protocol/smtp_command.hpp"

#include <array>
#include <charconv>
#include <utility>

namespace mxrelay::mta {

namespace {

bool is_keyword_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
}

// esmtp-value = 1*(%d33-60 / %d62-126).
bool is_value_char(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  return u >= 33 && u <= 126 && u != '=';
}

std::string_view trim_trailing_spaces(std::string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
std::expected<EsmtpParameter, ArgumentError> parse_parameter(std::string_view token) {
  std::size_t equals = token.find('=');
  std::string_view keyword = token.substr(0, equals);
  if (keyword.empty() || !is_keyword_char(keyword.front()))
    return std::unexpected(ArgumentError::syntax);
  for (char c : keyword)
    if (!is_keyword_char(c) && c != '-') return std::unexpected(ArgumentError::syntax);
  if (equals == std::string_view::npos) return EsmtpParameter{keyword, {}};
  std::string_view value = token.substr(equals + 1);
  if (value.empty()) return std::unexpected(ArgumentError::syntax);
  for (char c : value)
    if (!is_value_char(c)) return std::unexpected(ArgumentError::syntax);
  return EsmtpParameter{keyword, value};
}

// Mail-parameters = esmtp-param *(SP esmtp-param); extra spaces are tolerated.
std::expected<std::vector<EsmtpParameter>, ArgumentError> parse_parameters(std::string_view text) {
  std::vector<EsmtpParameter> parameters;
  while (!text.empty()) {
    std::size_t space = text.find(' ');
    std::string_view token = text.substr(0, space);
    text = space == std::string_view::npos ? std::string_view{} : text.substr(space + 1);
    if (token.empty()) continue;
    auto parameter = parse_parameter(token);
    if (!parameter) return std::unexpected(parameter.error());
    parameters.push_back(*parameter);
  }
  return parameters;
}

}  // namespace

CommandLine parse_command_line(std::string_view line) {
  static constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs{{
      {"EHLO", Verb::ehlo},
      {"HELO", Verb::helo},
      {"MAIL", Verb::mail},
      {"RCPT", Verb::rcpt},
      {"DATA", Verb::data},
      {"BDAT", Verb::bdat},
      {"RSET", Verb::rset},
      {"NOOP", Verb::noop},
      {"QUIT", Verb::quit},
      {"VRFY", Verb::vrfy},
      {"EXPN", Verb::expn},
      {"HELP", Verb::help},
      {"STARTTLS", Verb::starttls},
      {"AUTH", Verb::auth},
  }};
  std::size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  std::string_view argument =
      space == std::string_view::npos ? std::string_view{} : line.substr(space + 1);
  for (const auto& [name, verb] : kVerbs)
    if (equals_ignoring_case(word, name)) return CommandLine{verb, trim_trailing_spaces(argument)};
  return CommandLine{Verb::unknown, trim_trailing_spaces(argument)};
}

std::expected<PathArgument, ArgumentError> parse_path_argument(std::string_view argument,
                                                               std::string_view keyword) {
  if (argument.size() < keyword.size() ||
      !equals_ignoring_case(argument.substr(0, keyword.size()), keyword))
    return std::unexpected(ArgumentError::syntax);
  argument.remove_prefix(keyword.size());
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  if (argument.empty() || argument.front() != '<') return std::unexpected(ArgumentError::syntax);
  auto parsed = parse_path(argument);
  if (!parsed)
    return std::unexpected(parsed.error() == PathError::too_long ? ArgumentError::address_too_long
                                                                 : ArgumentError::bad_address);
  std::string_view rest = argument.substr(parsed->length);
  if (!rest.empty() && rest.front() != ' ') return std::unexpected(ArgumentError::bad_address);
  auto parameters = parse_parameters(rest);
  if (!parameters) return std::unexpected(parameters.error());
  return PathArgument{std::move(parsed->path), std::move(*parameters)};
}

std::optional<ChunkArgument> parse_chunk_argument(std::string_view argument) {
  std::size_t space = argument.find(' ');
  std::string_view digits = argument.substr(0, space);
  ChunkArgument chunk;
  if (space != std::string_view::npos) {
    if (!equals_ignoring_case(argument.substr(space + 1), "LAST")) return std::nullopt;
    chunk.last = true;
  }
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), chunk.size);
  if (error != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
  return chunk;
}

}  // namespace mxrelay::mta
