// conf: read_auth_tables().
#include "auth_tables.hpp"

#include <algorithm>

#include "secret_file.hpp"

namespace mxrelay::conf {

namespace {

bool has_control_character(std::string_view text) {
  return std::ranges::any_of(text, [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
  });
}

void read_username(const TomlSection& table, AuthCredentials& out) {
  auto username = table.string("username");
  if (!username) return;
  if (username->value.empty())
    table.report(username->node->source(), "username", "must not be empty");
  else if (has_control_character(username->value))
    table.report(username->node->source(), "username", "must not contain control characters");
  else
    out.username = username->value;
}

void read_password(const TomlSection& table, const std::filesystem::path& base_dir,
                   AuthCredentials& out) {
  auto file = table.string("password_file");
  if (!file) return;
  if (file->value.empty()) {
    table.report(file->node->source(), "password_file", "must not be empty");
    return;
  }
  out.password_file = base_dir / file->value;
  auto secret = read_secret_file(out.password_file);
  if (!secret) {
    table.report(file->node->source(), "password_file", secret.error());
    return;
  }
  out.password = std::move(*secret);
}

AuthCredentials read_credentials(const TomlSection& table, const std::filesystem::path& base_dir) {
  table.reject_unknown_keys({"username", "password_file"});
  for (std::string_view required : {"username", "password_file"})
    if (!table.find(required))
      table.report(table.table().source(), required, "required key is missing");
  AuthCredentials credentials;
  read_username(table, credentials);
  read_password(table, base_dir, credentials);
  return credentials;
}

}  // namespace

void read_auth_tables(const TomlSection& auth, const std::filesystem::path& base_dir,
                      std::map<std::string, AuthCredentials, std::less<>>& out) {
  for (const auto& [key, node] : auth.table()) {
    auto table = auth.subtable(key.str());
    out[std::string(key.str())] = table ? read_credentials(*table, base_dir) : AuthCredentials{};
  }
}

}  // namespace mxrelay::conf
