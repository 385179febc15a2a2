// Tests for RFC 5322 date formatting.
#include "core/rfc5322_date.hpp"

#include <gtest/gtest.h>

namespace mxrelay::core {
namespace {

TEST(Rfc5322Date, Table) {
  EXPECT_EQ(rfc5322_date(0), "Thu, 1 Jan 1970 00:00:00 +0000");
  EXPECT_EQ(rfc5322_date(1795617322), "Wed, 25 Nov 2026 14:35:22 +0000");
  EXPECT_EQ(rfc5322_date(951782400), "Tue, 29 Feb 2000 00:00:00 +0000");
}

}  // namespace
}  // namespace mxrelay::core
