// Tests for spool record encoding, decoding and corruption detection.
#include "queue/message_record.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "queue/checksum.hpp"

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

Envelope envelope_with_dsn() {
  auto e = sample_envelope();
  e.recipients.push_back("dave@example.net");
  e.ret = DsnRet::full;
  e.envid = "QQ314159 with space+plus=";
  e.recipient_dsn = {
      {.notify = DsnNotify{.success = true, .delay = true},
       .orcpt = OriginalRecipient{"rfc822", "Bob@Outlook.com"}},
      {},
      {.notify = DsnNotify{.never = true}, .orcpt = std::nullopt},
  };
  return e;
}

TEST(MessageRecord, RoundTripWithDsnFields) {
  auto original = envelope_with_dsn();
  auto bytes = encode_record(original, "Subject: x\r\n\r\nbody\r\n");
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  const auto& e = decoded->envelope;
  EXPECT_EQ(e.recipients, original.recipients);
  EXPECT_EQ(e.ret, DsnRet::full);
  EXPECT_EQ(e.envid, "QQ314159 with space+plus=");
  EXPECT_EQ(e.recipient_dsn, original.recipient_dsn);
  EXPECT_EQ(recipient_dsn_of(e, 1), RecipientDsn{});
  EXPECT_EQ(decoded->body, "Subject: x\r\n\r\nbody\r\n");
}

TEST(MessageRecord, RequireTlsRoundTripsAndOnlyWhenSet) {
  auto original = sample_envelope();
  original.require_tls = true;
  const auto bytes = encode_record(original, "Subject: x\r\n\r\nbody\r\n");
  EXPECT_NE(bytes.find("\nrequiretls yes\n"), std::string::npos);
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_TRUE(decoded->envelope.require_tls);
  const auto plain = encode_record(sample_envelope(), "Subject: x\r\n\r\nbody\r\n");
  EXPECT_EQ(plain.find("requiretls"), std::string::npos);
  auto without = decode_record(plain);
  ASSERT_TRUE(without);
  EXPECT_FALSE(without->envelope.require_tls);
}

TEST(MessageRecord, RetHeadersAndEveryNotifyCombinationRoundTrip) {
  auto e = sample_envelope();
  e.ret = DsnRet::headers;
  e.recipients = {};
  for (int mask = 1; mask < 8; ++mask) {
    e.recipients.push_back("r" + std::to_string(mask) + "@example.org");
    e.recipient_dsn.push_back({.notify = DsnNotify{.success = (mask & 1) != 0,
                                                   .failure = (mask & 2) != 0,
                                                   .delay = (mask & 4) != 0},
                               .orcpt = std::nullopt});
  }
  auto decoded = decode_record(encode_record(e, "x"));
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->envelope.ret, DsnRet::headers);
  EXPECT_EQ(decoded->envelope.recipient_dsn, e.recipient_dsn);
}

TEST(MessageRecord, WithoutDsnFieldsKeepsTheOriginalLayout) {
  auto bytes = encode_record(sample_envelope(), "body");
  EXPECT_EQ(bytes.find("\nret "), std::string::npos);
  EXPECT_EQ(bytes.find("\nenvid "), std::string::npos);
  EXPECT_EQ(bytes.find("\nnotify "), std::string::npos);
  EXPECT_EQ(bytes.find("\norcpt "), std::string::npos);
  auto decoded = decode_record(bytes);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->envelope.ret, DsnRet::unspecified);
  EXPECT_EQ(decoded->envelope.envid, "");
  EXPECT_TRUE(decoded->envelope.recipient_dsn.empty());
  EXPECT_EQ(recipient_dsn_of(decoded->envelope, 0), RecipientDsn{});
}

// A record written before the DSN fields existed (layout fixed here byte for byte).
TEST(MessageRecord, DecodesARecordWrittenBeforeDsnFields) {
  std::string payload =
      "MXQ1\nid 00061A2B3C4D5E6F\narrival 1764081322\nclient 127.0.0.1\nhelo h.example\n"
      "from a@corp.example\nrcpt b@example.org\nsize 4\n\nbody";
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "END %08x\n", crc32(payload));
  auto decoded = decode_record(payload + trailer);
  ASSERT_TRUE(decoded) << decoded.error();
  EXPECT_EQ(decoded->envelope.recipients, std::vector<std::string>{"b@example.org"});
  EXPECT_EQ(decoded->envelope.ret, DsnRet::unspecified);
  EXPECT_TRUE(decoded->envelope.recipient_dsn.empty());
  EXPECT_EQ(decoded->body, "body");
}

// A checksummed record whose envelope lines (between "from" and "size") are `fields`.
std::string record_with_fields(std::string_view fields) {
  std::string payload = "MXQ1\nid 1\narrival 1\nclient c\nhelo h\nfrom a@b\n";
  payload += fields;
  payload += "size 0\n\n";
  char trailer[16];
  std::snprintf(trailer, sizeof trailer, "END %08x\n", crc32(payload));
  return payload + trailer;
}

TEST(MessageRecord, MalformedDsnFieldsAreRejected) {
  ASSERT_TRUE(decode_record(record_with_fields(
      "ret hdrs\nenvid x\nrcpt b@example.org\nnotify delay,failure\norcpt rfc822;b@x\n")));
  const char* bad_fields[] = {
      "rcpt b@example.org\nret never\n",
      "notify success\nrcpt b@example.org\n",
      "orcpt rfc822;b@example.org\nrcpt b@example.org\n",
      "rcpt b@example.org\nnotify \n",
      "rcpt b@example.org\nnotify never,success\n",
      "rcpt b@example.org\nnotify success,success\n",
      "rcpt b@example.org\nnotify success,\n",
      "rcpt b@example.org\nnotify success\nnotify delay\n",
      "rcpt b@example.org\norcpt rfc822\n",
      "rcpt b@example.org\norcpt ;b@example.org\n",
      "rcpt b@example.org\norcpt rfc822;a@x\norcpt rfc822;b@x\n",
  };
  for (const char* fields : bad_fields)
    EXPECT_FALSE(decode_record(record_with_fields(fields))) << fields;
}

// A record with a valid checksum but a control character inside an envelope field (which the
// encoder never writes) is refused, not read as an address (found by the spool_record
// fuzzer: a NUL in a field).
TEST(MessageRecord, ControlCharactersInTheHeaderAreRejected) {
  for (const std::string& fields :
       {std::string("rcpt b@exa\rmple.org\n"), std::string("rcpt b@exa\0mple.org\n", 20),
        std::string("rcpt b@exa\x1bmple.org\n"), std::string("from a\x7f@b\n")}) {
    const auto decoded = decode_record(record_with_fields(fields));
    ASSERT_FALSE(decoded);
    EXPECT_EQ(decoded.error(), "control character in the header");
  }
}

TEST(MessageRecord, EveryTruncationAndFlippedByteIsDetectedWithDsnFields) {
  auto bytes = encode_record(envelope_with_dsn(), "Subject: x\r\n\r\nbody\r\n");
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_FALSE(decode_record(std::string_view(bytes).substr(0, n))) << "length " << n;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    auto damaged = bytes;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x20);
    EXPECT_FALSE(decode_record(damaged)) << "byte " << i;
  }
}

TEST(RecipientOutcomes, RoundTripAndTornTail) {
  std::string log = encode_recipient_outcome({0, RecipientState::delivered, "250 2.0.0 Ok"}) +
                    encode_recipient_outcome({1, RecipientState::failed, "550 5.1.1\r\nforged"}) +
                    "garbage line\n" + std::string("0 failed 550 \0 x\n", 17) +
                    "0 failed 550 \r x\n" + "1 delivered 250 torn";
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
