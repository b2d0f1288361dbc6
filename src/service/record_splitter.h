#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace reportshare::service {

// Why the splitter hands over a record without its bytes.
enum class SplitError {
  kNone,
  kTooLong,       // longer than the limit: its bytes were dropped
  kUnterminated,  // the input ended inside the JSON array
  kAfterArray,    // something other than blanks after the array's closing ']'
};

// One record the splitter found: its bytes (not yet parsed), or why it has
// none.
struct RawRecord {
  int64_t line = 0;       // 1-based line of the input where the record starts
  std::string_view text;  // its bytes, trailing blanks cut (kNone only); valid during the call
  SplitError error = SplitError::kNone;
};

// Cuts an import's input into records as its bytes arrive, in memory bounded
// by the limit whatever the input's size: the input is a JSON array of
// records or NDJSON (one record per line; blank lines and a CR before each LF
// are skipped), told apart by its first non-blank byte ('[': an array).
//
// An array's elements are cut without being parsed (brackets and braces are
// counted outside strings), so one malformed element is one bad record and
// the rest go on. Empty elements (`[1,,2]`) are skipped; what follows the
// closing ']' is one bad record if it is not blank, and is otherwise ignored.
//
// A record longer than `max_record_bytes` (an NDJSON line's CR included) is
// reported as kTooLong, its bytes dropped as they come: the splitter holds at
// most the current record's bytes, and none of a record within one chunk.
//
// Not thread-safe; one splitter per input.
class RecordSplitter {
 public:
  using Sink = std::function<void(const RawRecord&)>;

  // REQUIRES: max_record_bytes >= 1.
  explicit RecordSplitter(size_t max_record_bytes);

  // Consumes the next bytes of the input, calling `sink` for every record
  // they complete, in order.
  void Feed(std::string_view chunk, const Sink& sink);

  // The end of the input: calls `sink` for the last record, if any (an NDJSON
  // line without its LF; an array that was never closed is kUnterminated, at
  // the line of its pending element or, without one, of its '[').
  void Finish(const Sink& sink);

 private:
  enum class Mode { kDetect, kLines, kArray, kAfterArray, kDone };

  void FeedLines(std::string_view chunk, const Sink& sink);
  void FeedArray(std::string_view chunk, const Sink& sink);
  void FeedAfterArray(std::string_view chunk, const Sink& sink);
  // Starts a record at the current line.
  void Start();
  // Adds bytes to the current record, or drops them once it is too long.
  void Append(std::string_view bytes);
  // Hands the current record to `sink`: `tail` (its last bytes, from the
  // current chunk) after what Append kept; resets for the next record.
  void Emit(std::string_view tail, const Sink& sink);

  const size_t max_;
  Mode mode_ = Mode::kDetect;
  int64_t line_ = 1;        // the line of the next byte
  int64_t array_line_ = 0;  // the line of the array's '['

  // The current record.
  bool in_record_ = false;
  int64_t start_line_ = 0;
  std::string buf_;           // its bytes from earlier chunks (none once too long)
  size_t length_ = 0;         // how many bytes of it earlier chunks held
  bool has_content_ = false;  // NDJSON: a non-blank byte seen on this line

  // Arrays: where the scanner is, outside the current record's bytes.
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
};

}  // namespace reportshare::service
