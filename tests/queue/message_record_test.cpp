// Tests for spool record encoding, decoding and corruption detection.
#include "queue/message_record.hpp"

#include <gtest/gtest.h>

namespace mxrelay::queue {
namespace {

Envelope sample_envelope() {
  Envelope e;
  e.id = "00061A2B3C4D5E6F";
  e.arrival_unix = 1764081322;
  e.client_address = "127.0.0.1";
  e.helo = "domino.corp.example";
  e.sender = "alice@corp.example";
  e.recipients = {"bob@outlook.com", "carol@example.org"};
  return e;
}

TEST(MessageRecord, RoundTrip) {
  auto body = std::string("Subject: hi\r\n\r\n.leading dot kept as stored\r\nEND 00000000\n");
  auto bytes = encode_record(sample_envelope(), body);
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->envelope.id, "00061A2B3C4D5E6F");
  EXPECT_EQ(decoded->envelope.arrival_unix, 1764081322);
  EXPECT_EQ(decoded->envelope.helo, "domino.corp.example");
  EXPECT_EQ(decoded->envelope.sender, "alice@corp.example");
  EXPECT_EQ(decoded->envelope.recipients, sample_envelope().recipients);
  EXPECT_EQ(decoded->body, body);
}

TEST(MessageRecord, NullSenderAndEmptyBody) {
  auto e = sample_envelope();
  e.sender = "";
  auto bytes = encode_record(e, "");
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->envelope.sender, "");
  EXPECT_EQ(decoded->body, "");
}

TEST(MessageRecord, EveryTruncationIsDetected) {
  auto bytes = encode_record(sample_envelope(), "Subject: x\r\n\r\nbody\r\n");
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_record(std::string_view(bytes).substr(0, n))) << "length " << n;
}

TEST(MessageRecord, EveryFlippedByteIsDetected) {
  auto bytes = encode_record(sample_envelope(), "Subject: x\r\n\r\nbody\r\n");
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    EXPECT_FALSE(decode_record(damaged)) << "byte " << i;
  }
}

TEST(RecipientOutcomes, RoundTripAndTornTail) {
  std::string log = encode_recipient_outcome({0, RecipientState::delivered, "250 2.0.0 Ok"}) +
                    encode_recipient_outcome({1, RecipientState::failed, "550 5.1.1\r\nforged"}) +
                    "garbage line\n" + "1 delivered 250 torn";
  auto outcomes = decode_recipient_outcomes(log);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].index, 0u);
  EXPECT_EQ(outcomes[0].state, RecipientState::delivered);
  EXPECT_EQ(outcomes[0].detail, "250 2.0.0 Ok");
  EXPECT_EQ(outcomes[1].state, RecipientState::failed);
  EXPECT_EQ(outcomes[1].detail, "550 5.1.1  forged");
}

}  // namespace
}  // namespace mxrelay::queue
