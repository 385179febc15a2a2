// tests: RFC 5321 path syntax and MAIL/RCPT argument parsing.
#include "mta/protocol/mailbox_path.hpp"

#include <gtest/gtest.h>

#include "mta/protocol/smtp_command.hpp"

namespace mxrelay::mta {
namespace {

struct PathCase {
  std::string input;
  // Expected address ("" for <>), or the error.
  std::string address;
  std::optional<PathError> error = std::nullopt;
  bool utf8 = false;
};

std::string label(char c, std::size_t n) {
  return std::string(n, c);
}

class PathSyntax : public ::testing::TestWithParam<PathCase> {};

TEST_P(PathSyntax, ParsesAsExpected) {
  const PathCase& c = GetParam();
  auto parsed = parse_path(c.input);
  if (c.error) {
    ASSERT_FALSE(parsed.has_value()) << c.input << " -> " << parsed->path.address();
    EXPECT_EQ(parsed.error(), *c.error) << c.input;
    return;
  }
  ASSERT_TRUE(parsed.has_value()) << c.input;
  EXPECT_EQ(parsed->path.address(), c.address);
  EXPECT_EQ(parsed->path.utf8, c.utf8);
  EXPECT_EQ(parsed->length, c.input.size());
}

const auto kSyntax = PathError::syntax;
const auto kTooLong = PathError::too_long;

INSTANTIATE_TEST_SUITE_P(
    MailboxPath, PathSyntax,
    ::testing::Values(
        PathCase{"<>", ""}, PathCase{"<a@b.test>", "a@b.test"},
        PathCase{"<First.Last@Example.COM>", "First.Last@Example.COM"},
        PathCase{"<a+tag=x!#$%&'*/?^_`{|}~-@b.test>", "a+tag=x!#$%&'*/?^_`{|}~-@b.test"},
        PathCase{"<user%ext@relay.test>", "user%ext@relay.test"},
        PathCase{"<ext!user@relay.test>", "ext!user@relay.test"},
        PathCase{"<\"user@ext\"@relay.test>", "\"user@ext\"@relay.test"},
        PathCase{"<\"a b\\\"c\\\\\"@x.test>", "\"a b\\\"c\\\\\"@x.test"},
        PathCase{"<\"\"@x.test>", "\"\"@x.test"}, PathCase{"<\"a>b\"@x.test>", "\"a>b\"@x.test"},
        PathCase{"<@relay.test:user@ext.test>", "user@ext.test"},
        PathCase{"<@a.test,@b.test:u@c.test>", "u@c.test"},
        PathCase{"<a@[127.0.0.1]>", "a@[127.0.0.1]"}, PathCase{"<a@[IPv6:::1]>", "a@[IPv6:::1]"},
        PathCase{"<a@[ipv6:2001:db8::1]>", "a@[ipv6:2001:db8::1]"},
        PathCase{"<a@[IPv6:::ffff:1.2.3.4]>", "a@[IPv6:::ffff:1.2.3.4]"},
        PathCase{"<a@x-y.test>", "a@x-y.test"}, PathCase{"<a@123.test>", "a@123.test"},
        PathCase{"<j\xC3\xBCrg@b\xC3\xBC"
                 "cher.test>",
                 "j\xC3\xBCrg@b\xC3\xBC"
                 "cher.test",
                 std::nullopt, true},
        PathCase{"<\"\xE2\x82\xAC\"@x.test>", "\"\xE2\x82\xAC\"@x.test", std::nullopt, true},
        // Syntax errors.
        PathCase{"a@b.test", "", kSyntax}, PathCase{"<a@b.test", "", kSyntax},
        PathCase{"<a@b.test.>", "", kSyntax}, PathCase{"<a@.b.test>", "", kSyntax},
        PathCase{"<a@b..test>", "", kSyntax}, PathCase{"<a@-b.test>", "", kSyntax},
        PathCase{"<a@b-.test>", "", kSyntax}, PathCase{"<a@b_c.test>", "", kSyntax},
        PathCase{"<a@>", "", kSyntax}, PathCase{"<@b.test>", "", kSyntax},
        PathCase{"<a>", "", kSyntax}, PathCase{"<postmaster>", "", kSyntax},
        PathCase{"<a b@c.test>", "", kSyntax}, PathCase{"<a@b@c.test>", "", kSyntax},
        PathCase{"<.a@b.test>", "", kSyntax}, PathCase{"<a.@b.test>", "", kSyntax},
        PathCase{"<a..b@c.test>", "", kSyntax}, PathCase{"<\"a@b.test>", "", kSyntax},
        PathCase{"<\"a\x01\"@b.test>", "", kSyntax}, PathCase{"<\"a\\\x01\"@b.test>", "", kSyntax},
        PathCase{"<a(comment)@b.test>", "", kSyntax}, PathCase{"< a@b.test>", "", kSyntax},
        PathCase{"<a@b.test >", "", kSyntax}, PathCase{"<@a.test,u@c.test>", "", kSyntax},
        PathCase{"<@:u@c.test>", "", kSyntax}, PathCase{"<@[1.2.3.4]:u@c.test>", "", kSyntax},
        PathCase{"<a@[1.2.3]>", "", kSyntax}, PathCase{"<a@[256.1.1.1]>", "", kSyntax},
        PathCase{"<a@[::1]>", "", kSyntax}, PathCase{"<a@[IPv6:1.2.3.4]>", "", kSyntax},
        PathCase{"<a@[IPv6:::1%eth0]>", "", kSyntax}, PathCase{"<a@[tag:foo]>", "", kSyntax},
        PathCase{"<a@[1.2.3.4>", "", kSyntax}, PathCase{"<a@b.test\r\n>", "", kSyntax},
        PathCase{std::string("<a\0b@c.test>", 12), "", kSyntax},
        PathCase{"<\xC3@b.test>", "", kSyntax}, PathCase{"<\xC0\xAF@b.test>", "", kSyntax},
        PathCase{"<\xED\xA0\x80@b.test>", "", kSyntax},
        PathCase{"<a@" + label('x', 64) + ".test>", "", kSyntax},
        // Size limits: local part 64, domain 255, path 256 octets.
        PathCase{"<" + label('l', 64) + "@" + label('d', 63) + ".test>",
                 label('l', 64) + "@" + label('d', 63) + ".test"},
        PathCase{"<" + label('l', 65) + "@b.test>", "", kTooLong},
        PathCase{
            "<" + label('l', 64) + "@" + label('a', 63) + "." + label('b', 63) + "." +
                label('c', 61) + ">",
            label('l', 64) + "@" + label('a', 63) + "." + label('b', 63) + "." + label('c', 61)},
        PathCase{"<" + label('l', 64) + "@" + label('a', 63) + "." + label('b', 63) + "." +
                     label('c', 62) + ">",
                 "", kTooLong},
        PathCase{"<a@" + label('a', 63) + "." + label('b', 63) + "." + label('c', 63) + "." +
                     label('d', 63) + ">",
                 "", kTooLong}));

TEST(MailboxPath, ParsesOnlyThePathPrefix) {
  auto parsed = parse_path("<a@b.test> SIZE=10");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->length, 10u);
  EXPECT_EQ(parsed->path.local_part, "a");
  EXPECT_EQ(parsed->path.domain, "b.test");
  EXPECT_TRUE(parse_path("<>x")->path.is_null());
}

TEST(SmtpCommand, SplitsVerbAndArgument) {
  auto command = parse_command_line("mail FROM:<a@b.test>  ");
  EXPECT_EQ(command.verb, Verb::mail);
  EXPECT_EQ(command.argument, "FROM:<a@b.test>");
  EXPECT_EQ(parse_command_line("QUIT").verb, Verb::quit);
  EXPECT_EQ(parse_command_line("QUIT").argument, "");
  EXPECT_EQ(parse_command_line("QUITX").verb, Verb::unknown);
  EXPECT_EQ(parse_command_line("STARTTLSX").verb, Verb::unknown);
  EXPECT_EQ(parse_command_line("starttls").verb, Verb::starttls);
  EXPECT_EQ(parse_command_line("BDAT 10 LAST").verb, Verb::bdat);
  EXPECT_EQ(parse_command_line("AUTH PLAIN").argument, "PLAIN");
  EXPECT_EQ(parse_command_line("").verb, Verb::unknown);
}

TEST(SmtpCommand, ParsesChunkArguments) {
  EXPECT_EQ(parse_chunk_argument("0")->size, 0u);
  EXPECT_FALSE(parse_chunk_argument("0")->last);
  EXPECT_EQ(parse_chunk_argument("1024 last")->size, 1024u);
  EXPECT_TRUE(parse_chunk_argument("1024 LAST")->last);
  EXPECT_EQ(parse_chunk_argument("18446744073709551615")->size, UINT64_MAX);
  for (std::string_view bad : {"", "LAST", "-1", "+1", "1x", "1 LASTX", "1  LAST", " 1",
                               "18446744073709551616", "0x10", "1 FIRST"})
    EXPECT_FALSE(parse_chunk_argument(bad)) << bad;
}

TEST(SmtpCommand, ParsesPathArgumentsWithParameters) {
  auto parsed = parse_path_argument("from: <a@b.test> SIZE=100  BODY=8BITMIME SMTPUTF8", "FROM:");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->path.address(), "a@b.test");
  ASSERT_EQ(parsed->parameters.size(), 3u);
  EXPECT_EQ(parsed->parameters[0].keyword, "SIZE");
  EXPECT_EQ(parsed->parameters[0].value, "100");
  EXPECT_EQ(parsed->parameters[1].keyword, "BODY");
  EXPECT_EQ(parsed->parameters[2].keyword, "SMTPUTF8");
  EXPECT_EQ(parsed->parameters[2].value, "");
}

TEST(SmtpCommand, RefusesMalformedPathArguments) {
  struct Case {
    std::string argument;
    ArgumentError error;
  };
  for (const auto& [argument, error] : std::vector<Case>{
           {"TO:<a@b.test>", ArgumentError::syntax},
           {"FROM<a@b.test>", ArgumentError::syntax},
           {"FROM:", ArgumentError::syntax},
           {"FROM:a@b.test", ArgumentError::syntax},
           {"FROM:<a@b.test>SIZE=1", ArgumentError::bad_address},
           {"FROM:<a@@b.test>", ArgumentError::bad_address},
           {"FROM:<" + std::string(70, 'a') + "@b.test>", ArgumentError::address_too_long},
           {"FROM:<a@b.test> SIZE=", ArgumentError::syntax},
           {"FROM:<a@b.test> =1", ArgumentError::syntax},
           {"FROM:<a@b.test> -X=1", ArgumentError::syntax},
           {"FROM:<a@b.test> X_Y=1", ArgumentError::syntax},
           {"FROM:<a@b.test> X=a=b", ArgumentError::syntax},
           {"FROM:<a@b.test> X=\xC3\xBC", ArgumentError::syntax},
       }) {
    auto parsed = parse_path_argument(argument, "FROM:");
    ASSERT_FALSE(parsed) << argument;
    EXPECT_EQ(parsed.error(), error) << argument;
  }
}

}  // namespace
}  // namespace mxrelay::mta
