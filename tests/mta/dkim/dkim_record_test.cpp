// tests/mta/dkim: a published key record against the configured key, and the record keygen
// prints.
#include "mta/dkim/dkim_record.hpp"

#include <gtest/gtest.h>

namespace mxrelay::mta::dkim {
namespace {

TEST(DkimRecord, Verdicts) {
  const auto key = DkimKey::generate_ed25519();
  const auto other = DkimKey::generate_ed25519();
  const std::string p = key.public_key_base64();
  struct Row {
    std::vector<std::string> texts;
    RecordVerdict verdict;
  };
  for (const auto& row : std::vector<Row>{
           {{key.dns_record()}, RecordVerdict::matches},
           {{"v=DKIM1;k=ed25519;p=" + p.substr(0, 10) + " \t" + p.substr(10)},
            RecordVerdict::matches},
           {{other.dns_record()}, RecordVerdict::other_key},
           {{"v=DKIM1; p=" + p}, RecordVerdict::wrong_type},  // k= defaults to rsa
           {{"v=DKIM1; k=ed25519; p="}, RecordVerdict::revoked},
           {{"v=spf1 -all"}, RecordVerdict::malformed},
           {{"v=DKIM2; k=ed25519; p=" + p}, RecordVerdict::malformed},
           {{"k=ed25519; k=rsa; p=" + p}, RecordVerdict::malformed},
           {{}, RecordVerdict::none},
           {{key.dns_record(), key.dns_record()}, RecordVerdict::ambiguous},
           {{"k=ed25519; v=DKIM1; p=" + p}, RecordVerdict::malformed},  // v= not first
           {{"v=DKIM1; k=ed25519; h=sha1; p=" + p}, RecordVerdict::wrong_type},
           {{"v=DKIM1; k=ed25519; h=sha1:sha256; p=" + p}, RecordVerdict::matches},
           {{"v=DKIM1; k=ed25519; s=other; p=" + p}, RecordVerdict::wrong_type},
           {{"v=DKIM1; k=ed25519; s=*; p=" + p}, RecordVerdict::matches},
           {{"v=DKIM1;\r\n k=ed25519; p=" + p}, RecordVerdict::matches},
       }) {
    EXPECT_EQ(check_record(row.texts, key), row.verdict)
        << (row.texts.empty() ? "" : row.texts.front()) << ": " << describe(row.verdict);
  }
  EXPECT_EQ(record_name("mx2026", "corp.example"), "mx2026._domainkey.corp.example");
}

TEST(DkimRecord, ZoneFileRecordSplitsLongText) {
  const auto key = DkimKey::generate_rsa(2048);
  const auto record = zone_file_record("s1", "corp.example", key);
  EXPECT_TRUE(record.starts_with("s1._domainkey.corp.example. IN TXT ( \"v=DKIM1; k=rsa; p="));
  std::string joined;
  for (std::size_t open = record.find('"'); open != std::string::npos;
       open = record.find('"', record.find('"', open + 1) + 1)) {
    const auto close = record.find('"', open + 1);
    EXPECT_LE(close - open - 1, 255u);
    joined += record.substr(open + 1, close - open - 1);
  }
  EXPECT_EQ(joined, key.dns_record());
}

}  // namespace
}  // namespace mxrelay::mta::dkim
