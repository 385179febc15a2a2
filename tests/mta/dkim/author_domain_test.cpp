// tests/mta/dkim: the author's domain from From:, and when there is none to sign for.
#include "mta/dkim/author_domain.hpp"

#include <gtest/gtest.h>

#include <string>

namespace mxrelay::mta::dkim {
namespace {

std::expected<std::string, Unsigned> domain_of(const std::string& header) {
  const std::string message = header + "Subject: x\r\n\r\nbody\r\n";
  return author_domain(split_message(message));
}

TEST(AuthorDomain, OneAuthor) {
  struct Row {
    const char* header;
    const char* domain;
  };
  for (const auto& row : std::initializer_list<Row>{
           {"From: alice@Corp.Example\r\n", "corp.example"},
           {"From: Alice <alice@corp.example>\r\n", "corp.example"},
           {"From: \"Example, Alice\" <alice@corp.example>\r\n", "corp.example"},
           {"From: alice@corp.example (Alice, at work)\r\n", "corp.example"},
           {"FROM:\r\n\t\"Alice\"\r\n <alice@mail.corp.example.>\r\n", "mail.corp.example"},
           {"From: \"a@evil.example\" <alice@corp.example>\r\n", "corp.example"},
           {"From: Team: alice@corp.example;\r\n", "corp.example"},
       }) {
    const auto domain = domain_of(row.header);
    ASSERT_TRUE(domain) << row.header;
    EXPECT_EQ(*domain, row.domain) << row.header;
  }
}

TEST(AuthorDomain, NoSingleAuthor) {
  struct Row {
    const char* header;
    Unsigned reason;
  };
  for (const auto& row : std::initializer_list<Row>{
           {"", Unsigned::no_from},
           {"From: \r\n", Unsigned::no_from},
           {"From: undisclosed\r\n", Unsigned::no_from},
           {"From: a@x.example, b@y.example\r\n", Unsigned::several_authors},
           {"From: a@x.example\r\nFrom: b@x.example\r\n", Unsigned::several_authors},
           {"From: Team: a@x.example, b@x.example;\r\n", Unsigned::several_authors},
           // Not one address: the author is never guessed (found in review).
           {"From: <a@evil.example> <a@good.example>\r\n", Unsigned::no_from},
           {"From: a@evil.example a@good.example\r\n", Unsigned::no_from},
           {"From: a@evil.example(x)@good.example\r\n", Unsigned::no_from},
           {"From: a\r\n @good.example\r\n", Unsigned::no_from},
       }) {
    const auto domain = domain_of(row.header);
    ASSERT_FALSE(domain) << row.header;
    EXPECT_EQ(domain.error(), row.reason) << row.header;
  }
  EXPECT_STREQ(to_string(Unsigned::several_authors), "several_authors");
}

}  // namespace
}  // namespace mxrelay::mta::dkim
