#include "service/open_recorder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace reportshare::service {
namespace {

using std::chrono::milliseconds;

class OpenRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto opened = store::SqliteStore::Open(dir_.path() + "/rs.db", 4);
    ASSERT_TRUE(opened) << opened.error().message();
    store_ = std::move(*opened);
    auto company = store_->EnsureCompany("acme");
    ASSERT_TRUE(company);
    link_.link_id.bytes[0] = 7;
    link_.report_id = ReportId{1};
    link_.company_id = *company;
    link_.signing_key_id = SigningKeyId{1};
    ASSERT_TRUE(store_->InsertLink(link_).ok());
  }
  void TearDown() override { store_.reset(); }

  int64_t Views() {
    auto link = store_->GetLink(link_.link_id);
    EXPECT_TRUE(link && *link);
    return (link && *link) ? (*link)->views : -1;
  }

  LinkOpen Open(bool counted) {
    return LinkOpen{link_.link_id, Instant{}, 200, "Chrome", "127.0.0.0/24", counted};
  }

  test_support::TempDir dir_{"rs-recorder-"};
  std::unique_ptr<store::SqliteStore> store_;
  LinkRecord link_;
};

TEST_F(OpenRecorderTest, FlushWritesEverythingQueued) {
  OpenRecorder recorder(*store_, milliseconds(60000));
  for (int i = 0; i < 10; ++i) recorder.Record(Open(i % 2 == 0));
  EXPECT_EQ(Views(), 0);  // nothing written yet: the delay is a minute
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(Views(), 5);
  auto opens = store_->ListOpens(link_.company_id, link_.report_id, link_.link_id, 100);
  ASSERT_TRUE(opens);
  EXPECT_EQ(opens->size(), 10u);
}

TEST_F(OpenRecorderTest, WritesWithinTheDelayWithoutAFlush) {
  OpenRecorder recorder(*store_, milliseconds(50));
  recorder.Record(Open(true));
  for (int i = 0; i < 100 && Views() == 0; ++i) std::this_thread::sleep_for(milliseconds(20));
  EXPECT_EQ(Views(), 1);
}

TEST_F(OpenRecorderTest, ConcurrentOpensAreAllCounted) {
  {
    OpenRecorder recorder(*store_, milliseconds(5), /*max_batch=*/64);
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
  OpenRecorder recorder(*store_, milliseconds(60000), /*max_batch=*/1000000, /*max_pending=*/100);
  for (int i = 0; i < 250; ++i) recorder.Record(Open(true));
  ASSERT_TRUE(recorder.Flush().ok());
  EXPECT_EQ(Views(), 100);  // the oldest 150 were dropped, with a log line
}

}  // namespace
}  // namespace reportshare::service
