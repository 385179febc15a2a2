// tests/mta/protocol: splitting a message into header fields and body (header_fields).
#include "mta/protocol/header_fields.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta {
namespace {

TEST(HeaderFields, FieldsWithFoldedLinesAndTheBody) {
  const auto parts = split_message(
      "From: a@b\r\nSubject: one\r\n two\r\nX-Empty:\r\nDKIM-Signature : v=1\r\n\r\nbody\r\n");
  ASSERT_EQ(parts.fields.size(), 4u);
  EXPECT_EQ(parts.fields[1].name, "Subject");
  EXPECT_EQ(parts.fields[1].raw, "Subject: one\r\n two");
  EXPECT_EQ(parts.fields[3].name, "DKIM-Signature");
  EXPECT_EQ(parts.body, "body\r\n");
  EXPECT_EQ(count_fields(parts, "dkim-signature"), 1u);
  EXPECT_EQ(count_fields(parts, "Received"), 0u);
}

TEST(HeaderFields, MessageWithoutBody) {
  const auto parts = split_message("From: a@b\r\nSubject: x\r\n");
  EXPECT_EQ(parts.fields.size(), 2u);
  EXPECT_EQ(parts.body, "");
  EXPECT_EQ(split_message("From: a@b\r\n\r\n").body, "");
}

}  // namespace
}  // namespace mxrelay::mta
