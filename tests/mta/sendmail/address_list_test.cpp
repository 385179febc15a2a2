// tests/mta/sendmail: parse_address_list() on the address lists of real To/Cc/Bcc fields.
#include "mta/sendmail/address_list.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta::sendmail {
namespace {

TEST(AddressList, ExtractsTheAddrSpecs) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"a@x.example", {"a@x.example"}},
      {" a@x.example , b@y.example ", {"a@x.example", "b@y.example"}},
      {"Ann Other <ann@x.example>", {"ann@x.example"}},
      {"\"Doe, John\" <john@x.example>, b@y.example", {"john@x.example", "b@y.example"}},
      {"\"<not@this.example>\" <real@x.example>", {"real@x.example"}},
      {"a@x.example (Ann, the admin)", {"a@x.example"}},
      {"(outer (nested, comment)) a@x.example", {"a@x.example"}},
      {"Ann <ann@x.example> (comment with <angle@brackets>)", {"ann@x.example"}},
      {"undisclosed-recipients:;", {}},
      {"Team: a@x.example, Bob <b@y.example>;, c@z.example",
       {"a@x.example", "b@y.example", "c@z.example"}},
      {"Ops:;, Admins: root@x.example;", {"root@x.example"}},
      {"<@relay.example,@other.example:a@x.example>", {"a@x.example"}},
      {"\"quoted local\"@x.example", {"\"quoted local\"@x.example"}},
      {"Ann\r\n <ann@x.example>,\r\n\tb@y.example", {"ann@x.example", "b@y.example"}},
      {"root", {"root"}},
      {"", {}},
      {" , ,", {}},
  };
  for (const auto& [text, expected] : cases) {
    auto addresses = parse_address_list(text);
    ASSERT_TRUE(addresses.has_value()) << text << ": " << addresses.error();
    EXPECT_EQ(*addresses, expected) << text;
  }
}

TEST(AddressList, RefusesWhatIsNotClosed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"\"Doe, John <john@x.example>", "unterminated quoted string"},
      {"a@x.example (comment", "unterminated comment"},
      {"a@x.example ((nested)", "unterminated comment"},
      {"Ann <ann@x.example", "unterminated <address>"},
  };
  for (const auto& [text, error] : cases) {
    auto addresses = parse_address_list(text);
    ASSERT_FALSE(addresses.has_value()) << text;
    EXPECT_EQ(addresses.error(), error) << text;
  }
}

}  // namespace
}  // namespace mxrelay::mta::sendmail
