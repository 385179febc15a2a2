// tests/conf: the [[dkim]] entries: what loads, and every refusal with its position (keys
// written here by OpenSSL into a temporary folder).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "conf/load_config.hpp"
#include "golden_errors.hpp"

namespace mxrelay::conf {
namespace {

class DkimConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("mxrelay-dkim-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    write_key("rsa.pem", EVP_RSA_gen(2048), 0600);
    write_key("weak.pem", EVP_RSA_gen(1024), 0600);
    write_key("ed.pem", EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), 0600);
    write_key("open.pem", EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"), 0644);
    write_text("garbage.pem", "not a key\n", 0600);
    write_text("empty.pem", "", 0600);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write_key(const std::string& name, EVP_PKEY* key, mode_t mode) {
    const auto path = dir_ / name;
    std::FILE* file = std::fopen(path.c_str(), "w");
    PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(file);
    EVP_PKEY_free(key);
    ::chmod(path.c_str(), mode);
  }
  void write_text(const std::string& name, const std::string& text, mode_t mode) {
    std::ofstream(dir_ / name) << text;
    ::chmod((dir_ / name).c_str(), mode);
  }
  std::string entry(const std::string& body) const { return "[[dkim]]\n" + body; }
  std::string key(const std::string& name) const {
    return "key_file = \"" + (dir_ / name).string() + "\"\n";
  }

  std::filesystem::path dir_;
};

TEST_F(DkimConfig, EntriesLoadWithTheirKeys) {
  auto config =
      parse_config(entry("domain = \"Corp.Example\"\nselector = \"rsa2026\"\n" + key("rsa.pem")) +
                       entry("domain = \"corp.example\"\nselector = \"ed.2026\"\n" + key("ed.pem") +
                             "headers = [\"From\", \"Subject\"]\n"),
                   "t.toml");
  ASSERT_TRUE(config) << config.error().front().str();
  ASSERT_EQ(config->dkim.size(), 2u);
  EXPECT_EQ(config->dkim[0].domain, "corp.example");
  EXPECT_EQ(config->dkim[0].algorithm, DkimAlgorithm::rsa_sha256);
  EXPECT_EQ(config->dkim[0].key_bits, 2048u);
  EXPECT_EQ(config->dkim[0].headers.front(), "From");
  EXPECT_EQ(config->dkim[0].headers.size(), kDefaultDkimHeaders.size());
  EXPECT_EQ(config->dkim[0].where, "t.toml:1:1");
  EXPECT_EQ(config->dkim[1].algorithm, DkimAlgorithm::ed25519_sha256);
  EXPECT_EQ(config->dkim[1].headers, (std::vector<std::string>{"From", "Subject"}));
  EXPECT_NE(config->dkim[1].key_pem.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(DkimConfig, Refusals) {
  const std::string path = dir_.string();
  check({
      {"missing keys",
       "[[dkim]]\n",
       {"t.toml:1:1: dkim.domain: required key is missing",
        "t.toml:1:1: dkim.selector: required key is missing",
        "t.toml:1:1: dkim.key_file: required key is missing"}},
      {"weak key",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("weak.pem")).c_str(),
       {"t.toml:4:12: dkim.key_file: " + path +
        "/weak.pem holds an RSA key of 1024 bits; DKIM needs 2048 or more (RFC 8301)"}},
      {"readable by others",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("open.pem")).c_str(),
       {"t.toml:4:12: dkim.key_file: " + path + "/open.pem is readable by others (chmod 600)"}},
      {"not a key",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("garbage.pem")).c_str(),
       {"t.toml:4:12: dkim.key_file: " + path + "/garbage.pem is not a PEM private key (or is encrypted)"}},
      {"empty file",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("empty.pem")).c_str(),
       {"t.toml:4:12: dkim.key_file: " + path + "/empty.pem is empty"}},
      {"missing file",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("none.pem")).c_str(),
       {"t.toml:4:12: dkim.key_file: cannot read " + path +
        "/none.pem: No such file or directory"}},
      {"bad selector",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"-s_1\"\n" + key("ed.pem")).c_str(),
       {"t.toml:3:12: dkim.selector: \"-s_1\" is not a selector (DNS labels of letters, digits "
        "and hyphens)"}},
      {"headers without From",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("ed.pem") +
        "headers = [\"Subject\", \"Bad:Name\"]\n")
           .c_str(),
       {"t.toml:5:11: dkim.headers: must include From (RFC 6376 5.4)",
        "t.toml:5:23: dkim.headers: \"Bad:Name\" is not a header field name"}},
      {"selector twice",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("ed.pem") +
        "[[dkim]]\ndomain = \"A.example\"\nselector = \"s\"\n" + key("rsa.pem"))
           .c_str(),
       {"t.toml:7:12: dkim.selector: selector \"s\" of a.example is defined twice"}},
      {"unknown key",
       ("[[dkim]]\ndomain = \"a.example\"\nselector = \"s\"\n" + key("ed.pem") + "l = 100\n")
           .c_str(),
       {"t.toml:5:1: dkim.l: unknown key"}},
  });
}

}  // namespace
}  // namespace mxrelay::conf
