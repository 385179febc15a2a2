// tests/mta/doctor: SPF macro expansion, the examples of RFC 7208 7.4 among them, and the
// letters and syntax doctor refuses.
#include "mta/doctor/spf_macro.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mxrelay::mta::doctor {
namespace {

TEST(SpfMacro, Rfc7208Examples) {
  const SpfMacroContext v4{"strong-bad@email.example.com", "email.example.com",
                           *core::IpAddress::parse("192.0.2.3"), "mx.example.org"};
  const SpfMacroContext v6{"strong-bad@email.example.com", "email.example.com",
                           *core::IpAddress::parse("2001:db8::cb01"), "mx.example.org"};
  struct Row {
    const SpfMacroContext* context;
    const char* spec;
    const char* expanded;
  };
  for (const auto& row : std::vector<Row>{
           {&v4, "%{s}", "strong-bad@email.example.com"},
           {&v4, "%{o}", "email.example.com"},
           {&v4, "%{d}", "email.example.com"},
           {&v4, "%{d4}", "email.example.com"},
           {&v4, "%{d3}", "email.example.com"},
           {&v4, "%{d2}", "example.com"},
           {&v4, "%{d1}", "com"},
           {&v4, "%{dr}", "com.example.email"},
           {&v4, "%{d2r}", "example.email"},
           {&v4, "%{l}", "strong-bad"},
           {&v4, "%{l-}", "strong.bad"},
           {&v4, "%{lr}", "strong-bad"},
           {&v4, "%{lr-}", "bad.strong"},
           {&v4, "%{l1r-}", "strong"},
           {&v4, "%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"},
           {&v4, "%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"},
           {&v4, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}",
            "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
           {&v4, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}",
            "3.2.0.192.in-addr.strong.lp._spf.example.com"},
           {&v4, "%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"},
           {&v4, "%{h}", "mx.example.org"},
           {&v4, "%{S}", "strong-bad%40email.example.com"},
           {&v4, "100%%%_x%-", "100% x%20"},
           {&v6, "%{ir}.%{v}._spf.%{d2}",
            "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"},
       }) {
    auto expanded = expand_spf_macros(row.spec, *row.context);
    ASSERT_TRUE(expanded) << row.spec << ": " << expanded.error();
    EXPECT_EQ(*expanded, row.expanded) << row.spec;
  }
}

TEST(SpfMacro, RefusedWithAMessage) {
  const SpfMacroContext context{"a@b.example", "b.example", *core::IpAddress::parse("192.0.2.3"),
                                "h.example"};
  struct Row {
    const char* spec;
    const char* error;
  };
  for (const auto& row : std::vector<Row>{
           {"%{p}", "macro letter \"p\" is not supported"},
           {"%{c}", "macro letter \"c\" is not supported"},
           {"%{d0}", "zero labels"},
           {"%{d", "unterminated macro"},
           {"%x", "is not a macro"},
           {"a%", "a lone %"},
           {"%{d2x}", "malformed macro"},
       }) {
    auto expanded = expand_spf_macros(row.spec, context);
    ASSERT_FALSE(expanded) << row.spec;
    EXPECT_NE(expanded.error().find(row.error), std::string::npos) << expanded.error();
  }
}

TEST(SpfMacro, LongResultsLoseLabelsFromTheLeft) {
  const SpfMacroContext context{std::string(200, 'x') + "@b.example", "b.example",
                                *core::IpAddress::parse("192.0.2.3"), "h.example"};
  auto expanded = expand_spf_macros("%{l}.%{l}.example", context);
  ASSERT_TRUE(expanded);
  EXPECT_EQ(*expanded, std::string(200, 'x') + ".example");
}

}  // namespace
}  // namespace mxrelay::mta::doctor
