// tests: xtext (RFC 3461 4) and the DSN parameter grammars, and strict base64.
#include "mta/protocol/dsn_parameter_syntax.hpp"

#include <gtest/gtest.h>

#include "mta/protocol/base64.hpp"

namespace mxrelay::mta {
namespace {

struct XtextCase {
  std::string xtext;
  std::optional<std::string> decoded;  // nullopt: refused
  std::optional<DsnError> error;
};

class Xtext : public ::testing::TestWithParam<XtextCase> {};

TEST_P(Xtext, DecodesStrictly) {
  auto decoded = decode_xtext(GetParam().xtext);
  if (GetParam().decoded) {
    ASSERT_TRUE(decoded) << GetParam().xtext;
    EXPECT_EQ(*decoded, *GetParam().decoded);
    EXPECT_EQ(decode_xtext(encode_xtext(*decoded)), decoded);
  } else {
    ASSERT_FALSE(decoded) << GetParam().xtext;
    EXPECT_EQ(decoded.error(), GetParam().error);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, Xtext,
    ::testing::Values(
        XtextCase{"", "", {}}, XtextCase{"plain", "plain", {}}, XtextCase{"a+2Bb", "a+b", {}},
        XtextCase{"+3D", "=", {}}, XtextCase{"user+40example.com", "user@example.com", {}},
        XtextCase{"+7E!", "~!", {}}, XtextCase{"+C3+BC", "\xC3\xBC", {}},
        XtextCase{"a+2b", {}, DsnError::bad_xtext}, XtextCase{"a+2", {}, DsnError::bad_xtext},
        XtextCase{"a+", {}, DsnError::bad_xtext}, XtextCase{"a+G0", {}, DsnError::bad_xtext},
        XtextCase{"a=b", {}, DsnError::bad_xtext}, XtextCase{"a b", {}, DsnError::bad_xtext},
        XtextCase{"a\x7F", {}, DsnError::bad_xtext}, XtextCase{"\xC3\xBC", {}, DsnError::bad_xtext},
        XtextCase{"a+0D+0A", {}, DsnError::forbidden_octet},
        XtextCase{"a+0Ab", {}, DsnError::forbidden_octet},
        XtextCase{"+00", {}, DsnError::forbidden_octet}));

TEST(Xtext, EncodesEverythingOutsideXchar) {
  EXPECT_EQ(encode_xtext("a+b=c d\r\n"), "a+2Bb+3Dc+20d+0D+0A");
}

TEST(DsnParameters, Notify) {
  EXPECT_EQ(parse_dsn_notify("never"), queue::DsnNotify{.never = true});
  EXPECT_EQ(parse_dsn_notify("DELAY,SUCCESS"), (queue::DsnNotify{.success = true, .delay = true}));
  for (std::string_view bad : {"", ",", "FAILURE,", "NEVER,FAILURE", "SUCCESS,SUCCESS", "ALL"})
    EXPECT_FALSE(parse_dsn_notify(bad)) << bad;
}

TEST(DsnParameters, RetEnvidOrcpt) {
  EXPECT_EQ(parse_dsn_ret("full"), queue::DsnRet::full);
  EXPECT_EQ(parse_dsn_ret("HDRS"), queue::DsnRet::headers);
  EXPECT_FALSE(parse_dsn_ret("HEADERS"));
  EXPECT_EQ(parse_dsn_envid("QQ+2B1"), "QQ+1");
  EXPECT_FALSE(parse_dsn_envid(std::string(101, 'a')));
  // RFC 3461 4.4: printable US-ASCII once decoded (found by the smtp_arguments fuzzer).
  for (std::string_view bad : {"a+11", "+7F", "caf+C3+A9", "a+09b"})
    EXPECT_FALSE(parse_dsn_envid(bad)) << bad;
  queue::RecipientDsn dsn;
  ASSERT_TRUE(parse_dsn_orcpt("rfc822;a+40b.test", dsn));
  EXPECT_EQ(dsn.orcpt, (queue::OriginalRecipient{"rfc822", "a@b.test"}));
  for (std::string_view bad : {"rfc822", "rfc822;", ";a@b", "rf c822;a", "rfc822;a+0Db",
                               "rfc822;a+1Bb@c", "rfc822;caf+C3+A9@c"})
    EXPECT_FALSE(parse_dsn_orcpt(bad, dsn)) << bad;
}

TEST(Base64, RoundTripsAndRefusesNonCanonicalText) {
  for (std::string_view text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"})
    EXPECT_EQ(decode_base64(encode_base64(text)), std::string(text));
  EXPECT_EQ(encode_base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(encode_base64("fo"), "Zm8=");
  EXPECT_EQ(decode_base64("AGFsaWNlAHNlY3JldA=="), std::string("\0alice\0secret", 13));
  for (std::string_view bad :
       {"Zm8", "Zm8==", "Z===", "====", "Zm9=v", "Zm 9", "Zm9v\r\n", "Zm9-", "Zm9=", "Zh=="})
    EXPECT_FALSE(decode_base64(bad)) << bad;
}

}  // namespace
}  // namespace mxrelay::mta
