// Tests for the mailbox address syntax of the configuration (queue.postmaster).
#include "conf/mailbox_address.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::conf {
namespace {

TEST(MailboxAddress, ValidAddressesGetACanonicalDomain) {
  struct Row {
    const char* text;
    const char* canonical;
  } rows[] = {
      {"postmaster@relay.example", "postmaster@relay.example"},
      {"Post.Master@Relay.EXAMPLE.", "Post.Master@relay.example"},
      {"bounce+dsn=x@mail.example", "bounce+dsn=x@mail.example"},
      {"a!#$%&'*/?^_`{|}~-b@x.example", "a!#$%&'*/?^_`{|}~-b@x.example"},
      {"pm@bücher.example", "pm@xn--bcher-kva.example"},
      {"pm@single", "pm@single"},
  };
  for (const auto& row : rows) {
    auto address = parse_mailbox_address(row.text);
    ASSERT_TRUE(address) << row.text;
    EXPECT_EQ(*address, row.canonical) << row.text;
  }
}

TEST(MailboxAddress, InvalidAddressesAreRefused) {
  const std::string long_local(65, 'a');
  for (const std::string& text : std::vector<std::string>{
           "", "postmaster", "@relay.example", "pm@", "pm@@relay.example", ".pm@relay.example",
           "pm.@relay.example", "p..m@relay.example", "p m@relay.example", "\"pm\"@relay.example",
           "<pm@relay.example>", "pm@[192.0.2.1]", "pm@-relay.example",
           long_local + "@relay.example"})
    EXPECT_FALSE(parse_mailbox_address(text)) << text;
  EXPECT_TRUE(parse_mailbox_address(std::string(64, 'a') + "@relay.example"));
}

TEST(MailboxAddress, WholeAddressIsAtMost254Octets) {
  const std::string label(63, 'd');
  const std::string domain = label + "." + label + "." + label + "." + std::string(57, 'd');
  ASSERT_EQ(domain.size(), 249u);
  EXPECT_TRUE(parse_mailbox_address("abcd@" + domain));
  EXPECT_FALSE(parse_mailbox_address("abcde@" + domain));
}

}  // namespace
}  // namespace mxrelay::conf
