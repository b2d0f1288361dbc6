#include "service/open_recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "core/log.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"
#include "support/faulty_store.h"
#include "support/service_fixture.h"

namespace reportshare::service {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using test_support::Eventually;
using test_support::StoreMethod;

constexpr std::string_view kBacklogFull = "open audit backlog full";

// The fixture's store with one link of company A; recorders write through
// `faulty_`, the test reads back through `store_` (reads are not calls).
class OpenRecorderTest : public test_support::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    link_.link_id.bytes[0] = 7;
    link_.report_id = ReportId{1};
    link_.company_id = a_.company_id;
    link_.signing_key_id = SigningKeyId{1};
    ASSERT_TRUE(store_->InsertLink(link_).ok());
  }

  int64_t Views() {
    auto link = store_->GetLink(link_.link_id);
    EXPECT_TRUE(link && *link);
    return (link && *link) ? (*link)->views : -1;
  }

  std::vector<LinkOpen> Audit() {
    auto opens = store_->ListOpens(link_.company_id, link_.report_id, link_.link_id, 100000);
    EXPECT_TRUE(opens);
    return opens ? *opens : std::vector<LinkOpen>{};
  }

  // The i-th open: its instant is i µs, so the audit shows which were kept.
  LinkOpen Open(bool counted, int64_t i = 0) {
    return LinkOpen{
        link_.link_id, Instant{std::chrono::microseconds(i)}, 200, "Chrome", "127.0.0.0/24",
        counted};
  }

  LinkRecord link_;
};

TEST_F(OpenRecorderTest, FlushWritesEverythingQueued) {
  OpenRecorder recorder(*faulty_, milliseconds(60000));
  for (int i = 0; i < 10; ++i) recorder.Record(Open(i % 2 == 0));
  EXPECT_EQ(Views(), 0);  // nothing written yet: the delay is a minute
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(Views(), 5);
  EXPECT_EQ(Audit().size(), 10u);
  EXPECT_EQ(faulty_->CallsOf(StoreMethod::kRecordOpens).size(), 1u);  // one batch
}

TEST_F(OpenRecorderTest, WritesWithinTheDelayWithoutAFlush) {
  OpenRecorder recorder(*faulty_, milliseconds(50));
  recorder.Record(Open(true));
  EXPECT_TRUE(Eventually([&] { return Views() == 1; }, seconds(10)));
}

TEST_F(OpenRecorderTest, ConcurrentOpensAreAllCounted) {
  {
    OpenRecorder recorder(*faulty_, milliseconds(5), /*max_batch=*/64);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 250; ++i) recorder.Record(Open(true));
      });
    }
    for (auto& th : threads) th.join();
  }  // the destructor writes what is left
  EXPECT_EQ(Views(), 2000);
}

TEST_F(OpenRecorderTest, BacklogIsBoundedWhenTheStoreCannotKeepUp) {
  auto log = std::make_shared<test_support::CapturingLogSink>();
  core::ScopedLogSink scoped(log);
  OpenRecorder recorder(*faulty_, milliseconds(60000), /*max_batch=*/1000000, /*max_pending=*/100);
  for (int i = 0; i < 250; ++i) recorder.Record(Open(true));
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(Views(), 100);  // the oldest 150 were dropped, with one warning
  auto warnings = log->Matching("service", core::LogLevel::kWarning, kBacklogFull);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].Field("max_pending"), "100");
}

// --- the store fails -------------------------------------------------------

TEST_F(OpenRecorderTest, FailedWriteIsRetriedAfterADoublingPauseAndNothingIsLost) {
  faulty_->FailMethod(StoreMethod::kRecordOpens, 2);  // the database is down for two attempts
  {
    OpenRecorder recorder(*faulty_, milliseconds(10));
    for (int i = 0; i < 10; ++i) recorder.Record(Open(true, i));
    ASSERT_TRUE(Eventually([&] { return Views() > 0; }, seconds(20)));
  }
  auto attempts = faulty_->CallsOf(StoreMethod::kRecordOpens);
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_TRUE(attempts[0].failed);
  EXPECT_TRUE(attempts[1].failed);
  EXPECT_FALSE(attempts[2].failed);
  // The pause after a failure is 100 ms, then doubles: no retry storm.
  EXPECT_GE(attempts[1].at - attempts[0].at, milliseconds(100));
  EXPECT_GE(attempts[2].at - attempts[1].at, milliseconds(200));
  // Every open written, none twice, in order.
  EXPECT_EQ(Views(), 10);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 10u);
  for (size_t i = 0; i < audit.size(); ++i) {
    EXPECT_EQ(audit[i].at, Open(true, static_cast<int64_t>(9 - i)).at);  // newest first
  }
}

TEST_F(OpenRecorderTest, AFullBatchArrivingDuringThePauseDoesNotCutItShort) {
  faulty_->FailMethod(StoreMethod::kRecordOpens, 2);
  // Only a full batch (or a minute) starts a write.
  OpenRecorder recorder(*faulty_, minutes(1), /*max_batch=*/5);
  for (int i = 0; i < 5; ++i) recorder.Record(Open(true, i));
  // Two failed attempts: the thread now pauses 200 ms.
  ASSERT_TRUE(Eventually([&] { return faulty_->failures() == 2; }, seconds(10)));
  for (int i = 5; i < 10; ++i) recorder.Record(Open(true, i));  // would wake it without a pause
  auto recorded_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(Eventually([&] { return Views() == 10; }, seconds(10)));
  auto attempts = faulty_->CallsOf(StoreMethod::kRecordOpens);
  ASSERT_EQ(attempts.size(), 4u);  // two failures, then the two batches
  EXPECT_LT(recorded_at, attempts[2].at)
      << "the retry came before the second batch was in: the pause was cut short (or this "
         "machine stalled for 200 ms)";
  EXPECT_GE(attempts[2].at - attempts[1].at, milliseconds(200));
  EXPECT_EQ(Audit().size(), 10u);
}

TEST_F(OpenRecorderTest, FlushDuringAnOutageFailsAndKeepsTheOpens) {
  faulty_->FailMethod(StoreMethod::kRecordOpens);
  OpenRecorder recorder(*faulty_, minutes(1));
  for (int i = 0; i < 5; ++i) recorder.Record(Open(true, i));
  Status s = recorder.Flush();
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.message(), "database unavailable");
  EXPECT_EQ(Views(), 0);
  faulty_->Heal();
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(Views(), 5);
  EXPECT_EQ(Audit().size(), 5u);
}

TEST_F(OpenRecorderTest, OutageKeepsTheNewestOpensWithinTheBoundAndWarnsOncePerEpisode) {
  auto log = std::make_shared<test_support::CapturingLogSink>();
  core::ScopedLogSink scoped(log);
  faulty_->FailMethod(StoreMethod::kRecordOpens);
  OpenRecorder recorder(*faulty_, minutes(1), /*max_batch=*/1000000, /*max_pending=*/100);
  for (int i = 0; i < 250; ++i) recorder.Record(Open(true, i));
  EXPECT_FALSE(recorder.Flush().ok());  // the batch goes back; the queue stays bounded
  for (int i = 250; i < 300; ++i) recorder.Record(Open(true, i));
  EXPECT_FALSE(recorder.Flush().ok());
  EXPECT_EQ(log->Matching("service", core::LogLevel::kWarning, kBacklogFull).size(), 1u);

  faulty_->Heal();
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(Views(), 100);
  auto audit = Audit();
  ASSERT_EQ(audit.size(), 100u);
  EXPECT_EQ(audit.front().at, Open(true, 299).at);  // the newest 100: 200 to 299
  EXPECT_EQ(audit.back().at, Open(true, 200).at);

  // A write went through, so the next overflow is a new episode: warned again.
  for (int i = 0; i < 101; ++i) recorder.Record(Open(true, 1000 + i));
  EXPECT_EQ(log->Matching("service", core::LogLevel::kWarning, kBacklogFull).size(), 2u);
  EXPECT_EQ(log->AllText().find(link_.link_id.ToString()), std::string::npos);
}

TEST_F(OpenRecorderTest, DestructorDoesNotWaitOutTheLongestPause) {
  faulty_->FailMethod(StoreMethod::kRecordOpens);
  auto recorder = std::make_unique<OpenRecorder>(*faulty_, milliseconds(1));
  recorder->Record(Open(true));
  // Each failed attempt doubles the pause: after ten, the thread waits 30 s.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(recorder->Flush().ok());
  auto start = std::chrono::steady_clock::now();
  recorder.reset();  // one last attempt, then the thread stops at once
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
  EXPECT_EQ(Views(), 0);
}

}  // namespace
}  // namespace reportshare::service
