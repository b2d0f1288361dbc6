#include "service/record_splitter.h"

#include <algorithm>

namespace reportshare::service {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool HasContent(std::string_view bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](char c) { return !IsSpace(c); });
}

}  // namespace

RecordSplitter::RecordSplitter(size_t max_record_bytes) : max_(max_record_bytes) {}

void RecordSplitter::Feed(std::string_view chunk, const Sink& sink) {
  switch (mode_) {
    case Mode::kDetect:
      for (size_t i = 0; i < chunk.size(); ++i) {
        const char c = chunk[i];
        if (c == '\n') ++line_;
        if (IsSpace(c)) continue;
        if (c == '[') {
          mode_ = Mode::kArray;
          array_line_ = line_;
          FeedArray(chunk.substr(i + 1), sink);
        } else {
          mode_ = Mode::kLines;
          FeedLines(chunk.substr(i), sink);
        }
        return;
      }
      return;
    case Mode::kLines:
      return FeedLines(chunk, sink);
    case Mode::kArray:
      return FeedArray(chunk, sink);
    case Mode::kAfterArray:
      return FeedAfterArray(chunk, sink);
    case Mode::kDone:
      return;
  }
}

void RecordSplitter::Finish(const Sink& sink) {
  switch (mode_) {
    case Mode::kLines:
      if (in_record_ && has_content_) Emit({}, sink);
      break;
    case Mode::kArray:
      sink(RawRecord{in_record_ ? start_line_ : array_line_, {}, SplitError::kUnterminated});
      break;
    case Mode::kDetect:
    case Mode::kAfterArray:
    case Mode::kDone:
      break;
  }
  in_record_ = false;
  mode_ = Mode::kDone;
}

void RecordSplitter::Start() {
  in_record_ = true;
  start_line_ = line_;
  length_ = 0;
  has_content_ = false;
  buf_.clear();
}

void RecordSplitter::FeedLines(std::string_view chunk, const Sink& sink) {
  size_t i = 0;
  while (i < chunk.size()) {
    if (!in_record_) Start();
    const size_t nl = chunk.find('\n', i);
    const std::string_view piece =
        chunk.substr(i, (nl == std::string_view::npos ? chunk.size() : nl) - i);
    has_content_ = has_content_ || HasContent(piece);
    if (nl == std::string_view::npos) {
      Append(piece);
      return;
    }
    if (has_content_) {
      Emit(piece, sink);
    } else {
      in_record_ = false;  // a blank line
    }
    ++line_;
    i = nl + 1;
  }
}

// Elements are found by counting brackets outside strings, one byte at a
// time; their bytes are copied only when an element spans two chunks.
void RecordSplitter::FeedArray(std::string_view chunk, const Sink& sink) {
  size_t begin = 0;  // where the current record's bytes start in this chunk
  for (size_t i = 0; i < chunk.size(); ++i) {
    const char c = chunk[i];
    if (c == '\n') ++line_;
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (!in_record_) {
      if (IsSpace(c) || c == ',') continue;  // between elements, or an empty one
      if (c == ']' && depth_ == 0) {
        mode_ = Mode::kAfterArray;
        return FeedAfterArray(chunk.substr(i + 1), sink);
      }
      Start();
      begin = i;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if ((c == '}' || c == ']') && depth_ > 0) {
      --depth_;  // a stray closer at depth 0 stays in the element, which will not parse
    } else if ((c == ',' || c == ']') && depth_ == 0) {
      Emit(chunk.substr(begin, i - begin), sink);
      if (c == ']') {
        mode_ = Mode::kAfterArray;
        return FeedAfterArray(chunk.substr(i + 1), sink);
      }
    }
  }
  if (in_record_) Append(chunk.substr(begin));
}

void RecordSplitter::FeedAfterArray(std::string_view chunk, const Sink& sink) {
  for (char c : chunk) {
    if (c == '\n') ++line_;
    if (IsSpace(c)) continue;
    mode_ = Mode::kDone;  // one report of it is enough
    sink(RawRecord{line_, {}, SplitError::kAfterArray});
    return;
  }
}

void RecordSplitter::Append(std::string_view bytes) {
  length_ += bytes.size();
  if (length_ > max_) {
    buf_.clear();  // its capacity stays, at most the limit: memory stays flat
  } else {
    buf_.append(bytes);
  }
}

void RecordSplitter::Emit(std::string_view tail, const Sink& sink) {
  std::string_view text = tail;
  if (length_ > 0) {
    Append(tail);
    text = buf_;
  }
  const size_t length = length_ > 0 ? length_ : tail.size();
  in_record_ = false;
  if (length > max_) {
    sink(RawRecord{start_line_, {}, SplitError::kTooLong});
    return;
  }
  // The blanks before the next ',' or ']', or an NDJSON line's CR.
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  sink(RawRecord{start_line_, text, SplitError::kNone});
}

}  // namespace reportshare::service
