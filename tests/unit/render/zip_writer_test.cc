#include "render/zip/zip_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/sample_reports.h"
#include "support/zip_reader.h"

namespace reportshare::render {
namespace {

// A stand-in for a PDF: bytes that compress well, so a compressed entry
// would show.
std::string Payload(char fill, size_t size) { return "%PDF-1.7\n" + std::string(size, fill); }

uint16_t Le16(const std::string& s, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(s[at]) | static_cast<uint8_t>(s[at + 1]) << 8);
}

TEST(ZipWriterTest, EntriesComeOutInOrderStoredAndAsTheyGrow) {
  ZipWriter zip;
  const Instant at = test_support::At("2025-07-10T09:00:00Z");
  const std::string a = Payload('a', 50000), b = Payload('b', 10), c = "[]";
  std::string out;

  ASSERT_TRUE(zip.Add("report-318.pdf", a, at).ok());
  std::string first = zip.TakeOutput();
  // The first entry is out whole before the next is added: local header,
  // then the bytes as they are (STORED: compression method 0).
  ASSERT_GT(first.size(), a.size());
  EXPECT_EQ(first.rfind("PK\x03\x04", 0), 0u);
  EXPECT_EQ(Le16(first, 8), 0) << "compression method";
  EXPECT_NE(first.find(a), std::string::npos);
  EXPECT_TRUE(zip.TakeOutput().empty());
  out += first;

  ASSERT_TRUE(zip.Add("report-319.pdf", b, at).ok());
  ASSERT_TRUE(zip.Add("errors.json", c, at).ok());
  out += zip.TakeOutput();
  ASSERT_TRUE(zip.Finish().ok());
  out += zip.TakeOutput();
  EXPECT_FALSE(zip.Add("late.pdf", b, at).ok());
  EXPECT_FALSE(zip.Finish().ok());

  auto entries = test_support::ReadZip(out);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].name, "report-318.pdf");
  EXPECT_EQ(entries[0].bytes, a);
  EXPECT_EQ(entries[1].name, "report-319.pdf");
  EXPECT_EQ(entries[1].bytes, b);
  EXPECT_EQ(entries[2].name, "errors.json");
  EXPECT_EQ(entries[2].bytes, c);
}

TEST(ZipWriterTest, AnEmptyArchiveIsValid) {
  ZipWriter zip;
  ASSERT_TRUE(zip.Finish().ok());
  std::string out = zip.TakeOutput();
  EXPECT_EQ(out.rfind("PK\x05\x06", 0), 0u);  // the end of central directory alone
  EXPECT_TRUE(test_support::ReadZip(out).empty());
}

}  // namespace
}  // namespace reportshare::render
