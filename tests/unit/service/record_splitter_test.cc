#include "service/record_splitter.h"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace reportshare::service {
namespace {

// What the sink saw, owned.
struct Got {
  int64_t line;
  std::string text;
  SplitError error;

  friend bool operator==(const Got& a, const Got& b) {
    return std::tie(a.line, a.text, a.error) == std::tie(b.line, b.text, b.error);
  }
  friend std::ostream& operator<<(std::ostream& os, const Got& g) {
    return os << "{line " << g.line << ", \"" << g.text << "\", error " << static_cast<int>(g.error)
              << "}";
  }
};

Got Rec(int64_t line, std::string text) { return {line, std::move(text), SplitError::kNone}; }
Got Err(int64_t line, SplitError error) { return {line, "", error}; }

// Splits `input` fed in chunks of `chunk` bytes (the last one shorter).
std::vector<Got> Split(std::string_view input, size_t chunk, size_t max = 1 << 20) {
  std::vector<Got> out;
  RecordSplitter splitter(max);
  const RecordSplitter::Sink sink = [&](const RawRecord& r) {
    out.push_back({r.line, std::string(r.text), r.error});
  };
  for (size_t i = 0; i < input.size(); i += chunk) splitter.Feed(input.substr(i, chunk), sink);
  splitter.Finish(sink);
  return out;
}

// Splits `input` whole, in 1-byte chunks, and cut in two at every position:
// the records must be the same each way. Returns them.
std::vector<Got> SplitEveryWay(std::string_view input, size_t max = 1 << 20) {
  const std::vector<Got> whole = Split(input, input.size() + 1, max);
  EXPECT_EQ(Split(input, 1, max), whole) << "in 1-byte chunks";
  for (size_t cut = 1; cut < input.size(); ++cut) {
    std::vector<Got> out;
    RecordSplitter splitter(max);
    const RecordSplitter::Sink sink = [&](const RawRecord& r) {
      out.push_back({r.line, std::string(r.text), r.error});
    };
    splitter.Feed(input.substr(0, cut), sink);
    splitter.Feed(input.substr(cut), sink);
    splitter.Finish(sink);
    EXPECT_EQ(out, whole) << "cut at " << cut;
  }
  return whole;
}

TEST(RecordSplitterTest, NdjsonLinesWithTheirLineNumbers) {
  EXPECT_EQ(SplitEveryWay("{\"a\":1}\n{\"b\":2}\n\n  \n{\"c\":3}\n"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Rec(2, "{\"b\":2}"), Rec(5, "{\"c\":3}")}));
}

TEST(RecordSplitterTest, NdjsonLastLineWithoutNewline) {
  EXPECT_EQ(SplitEveryWay("{\"a\":1}\n{\"b\":2}"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Rec(2, "{\"b\":2}")}));
}

TEST(RecordSplitterTest, NdjsonCrlfLosesTheCr) {
  EXPECT_EQ(SplitEveryWay("{\"a\":1}\r\n\r\n{\"b\":2}\r\n"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Rec(3, "{\"b\":2}")}));
}

TEST(RecordSplitterTest, LeadingBlankLinesCountTowardLineNumbers) {
  EXPECT_EQ(SplitEveryWay("\n\n  {\"a\":1}\nnot json\n"),
            (std::vector<Got>{Rec(3, "{\"a\":1}"), Rec(4, "not json")}));
  EXPECT_EQ(SplitEveryWay("\n \r\n[{\"a\":1}]"), (std::vector<Got>{Rec(3, "{\"a\":1}")}));
}

TEST(RecordSplitterTest, EmptyAndBlankInputsHaveNoRecords) {
  EXPECT_TRUE(Split("", 1).empty());
  EXPECT_TRUE(SplitEveryWay(" \n\r\n\t\n").empty());
  EXPECT_TRUE(SplitEveryWay("[]").empty());
  EXPECT_TRUE(SplitEveryWay(" [ \n ] \n").empty());
}

TEST(RecordSplitterTest, ArrayElementsWithTheLineEachStartsOn) {
  EXPECT_EQ(SplitEveryWay("[{\"a\":1},\n {\"b\":\n 2},\n\n{\"c\":3}\n]\n"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Rec(2, "{\"b\":\n 2}"), Rec(5, "{\"c\":3}")}));
}

TEST(RecordSplitterTest, BracketsCommasAndEscapedQuotesInStringsDoNotSplit) {
  const std::string a = R"({"s":"],[}{,\"]\\","t":"\\"})";
  const std::string b = R"({"u":"\\\"]"})";
  EXPECT_EQ(SplitEveryWay("[" + a + "," + b + "]"), (std::vector<Got>{Rec(1, a), Rec(1, b)}));
}

TEST(RecordSplitterTest, NestedArraysAndObjectsStayInOneElement) {
  const std::string a = R"({"x":[[1,2],[3,[4]]],"y":{"z":[{"w":[]}]}})";
  EXPECT_EQ(SplitEveryWay("[" + a + ", [1,[2]], 3]"),
            (std::vector<Got>{Rec(1, a), Rec(1, "[1,[2]]"), Rec(1, "3")}));
}

TEST(RecordSplitterTest, EmptyElementsAreSkippedAndMalformedOnesKept) {
  EXPECT_EQ(SplitEveryWay("[,{\"a\":1},,\n{oops},]"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Rec(2, "{oops}")}));
  // A stray closer stays in its element, which will not parse, and the
  // array still ends at its own ']'.
  EXPECT_EQ(SplitEveryWay("[}, {\"a\":1}]"), (std::vector<Got>{Rec(1, "}"), Rec(1, "{\"a\":1}")}));
}

TEST(RecordSplitterTest, UnterminatedArrayIsOneBadRecordAtItsPendingElement) {
  EXPECT_EQ(SplitEveryWay("[{\"a\":1},\n{\"b\":2"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Err(2, SplitError::kUnterminated)}));
  // An unterminated string hides the closing bracket.
  EXPECT_EQ(SplitEveryWay("[{\"a\":1},\n\n{\"b\":\"]}]\n"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Err(3, SplitError::kUnterminated)}));
  // No element pending: the line of the '['.
  EXPECT_EQ(SplitEveryWay("\n[{\"a\":1},\n\n"),
            (std::vector<Got>{Rec(2, "{\"a\":1}"), Err(2, SplitError::kUnterminated)}));
  EXPECT_EQ(SplitEveryWay("["), (std::vector<Got>{Err(1, SplitError::kUnterminated)}));
}

TEST(RecordSplitterTest, ContentAfterTheArrayIsOneBadRecord) {
  EXPECT_EQ(SplitEveryWay("[{\"a\":1}]\n\n[{\"b\":2}]\n{\"c\":3}\n"),
            (std::vector<Got>{Rec(1, "{\"a\":1}"), Err(3, SplitError::kAfterArray)}));
  EXPECT_EQ(SplitEveryWay("[{\"a\":1}] \r\n\t"), (std::vector<Got>{Rec(1, "{\"a\":1}")}));
}

TEST(RecordSplitterTest, TooLongRecordsAreBadAndTheNextOnesStillCome) {
  const std::string big(100, 'x');
  // NDJSON: a limit of 10 bytes; "{\"a\":1}" is 7.
  EXPECT_EQ(
      SplitEveryWay("{\"a\":1}\n" + big + "\n{\"b\":2}\n", 10),
      (std::vector<Got>{Rec(1, "{\"a\":1}"), Err(2, SplitError::kTooLong), Rec(3, "{\"b\":2}")}));
  // Exactly at the limit is fine; one more byte is not.
  EXPECT_EQ(SplitEveryWay("0123456789\n01234567890", 10),
            (std::vector<Got>{Rec(1, "0123456789"), Err(2, SplitError::kTooLong)}));
  // An array element, brackets in its strings included.
  EXPECT_EQ(
      SplitEveryWay("[{\"a\":1},\n{\"s\":\"" + big + "]\"},{\"b\":2}]", 10),
      (std::vector<Got>{Rec(1, "{\"a\":1}"), Err(2, SplitError::kTooLong), Rec(2, "{\"b\":2}")}));
}

TEST(RecordSplitterTest, ATooLongRecordIsNotKeptInMemory) {
  // 8 MiB in one line, in 64 KiB chunks, under a 1 MiB limit: the splitter
  // holds at most the limit (its buffer's capacity is not observable here,
  // so this checks the outcome; the black-box test measures the memory).
  const std::string chunk(64 << 10, 'x');
  RecordSplitter splitter(1 << 20);
  std::vector<Got> out;
  const RecordSplitter::Sink sink = [&](const RawRecord& r) {
    out.push_back({r.line, std::string(r.text), r.error});
  };
  splitter.Feed("{\"a\":1}\n", sink);
  for (int i = 0; i < 128; ++i) splitter.Feed(chunk, sink);
  splitter.Feed("\n{\"b\":2}", sink);
  splitter.Finish(sink);
  EXPECT_EQ(out, (std::vector<Got>{Rec(1, "{\"a\":1}"), Err(2, SplitError::kTooLong),
                                   Rec(3, "{\"b\":2}")}));
}

}  // namespace
}  // namespace reportshare::service
