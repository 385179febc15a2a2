// Tests for domain name canonicalisation and host name syntax.
#include "core/domain_name.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxrelay::core {
namespace {

TEST(DomainName, Canonical) {
  EXPECT_EQ(canonical_domain("Outlook.COM."), "outlook.com");
  EXPECT_EQ(canonical_domain("a.b"), "a.b");
  EXPECT_EQ(canonical_domain("."), "");
}

TEST(DomainName, HostnameSyntax) {
  for (const char* good :
       {"example.com", "mx1.example.com.", "a", "xn--bcher-kva.example", "a-b.c", "_dmarc.example"})
    EXPECT_TRUE(is_valid_hostname(good)) << good;
  for (const char* bad :
       {"", ".", "-a.example", "a-.example", "a..b", "a b", "a@b", "exa\nmple.com"})
    EXPECT_FALSE(is_valid_hostname(bad)) << bad;
  EXPECT_TRUE(is_valid_hostname(std::string(63, 'a') + ".com"));
  EXPECT_FALSE(is_valid_hostname(std::string(64, 'a') + ".com"));
}

}  // namespace
}  // namespace mxrelay::core
