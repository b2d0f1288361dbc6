#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "domain/report.h"
#include "links/key_ring.h"
#include "links/token.h"
#include "render/renderer.h"
#include "service/api_keys.h"
#include "service/key_ring_holder.h"
#include "service/report_service.h"
#include "store/sqlite/sqlite_store.h"
#include "support/fake_clock.h"
#include "support/faulty_renderer.h"
#include "support/faulty_store.h"
#include "support/sample_reports.h"
#include "support/temp_dir.h"

namespace reportshare::test_support {

inline constexpr const char* kBaseUrl = "https://reports.example.com";

// The report of SPEC §1, Completed.
inline Report CompletedReport(int64_t id = 318) { return SpecExampleReport(id); }

inline Report PendingReport(int64_t id) {
  Report r;
  r.report_id = ReportId{id};
  r.assessment_id = 138;
  r.candidate_id = 6001;
  r.name = "Pending Person";
  r.email = "pending@example.com";
  r.invite_status = InviteStatus::kPending;
  return r;
}

// A real SqliteStore on a temporary file, the basic renderer, a one-key ring,
// a FakeClock and the service over them; two companies with one API key each.
// The service reaches the store through `faulty_` and the renderer through
// `faulty_renderer_`, which forward everything until a test arms a fault.
class ServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto store = store::SqliteStore::Open(dir_.path() + "/test.db", 2);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    faulty_ = std::make_unique<FaultyStore>(*store_);
    renderer_ = render::MakeBasicRenderer();
    faulty_renderer_ = std::make_unique<FaultyRenderer>(*renderer_);
    auto ring = links::KeyRing::Generate();
    ASSERT_TRUE(ring);
    keys_ = std::make_unique<service::KeyRingHolder>(std::move(*ring));
    clock_.Set(At("2025-07-10T09:00:00Z"));
    service_ = std::make_unique<service::ReportService>(*faulty_, *faulty_renderer_, *keys_, clock_,
                                                        kBaseUrl);

    auto a = service::CreateApiKey(*store_, "Acme Talent", clock_);
    ASSERT_TRUE(a);
    key_a_ = a->key;
    key_a_id_ = a->key_id;
    auto b = service::CreateApiKey(*store_, "Globex Hiring", clock_);
    ASSERT_TRUE(b);
    key_b_ = b->key;
    auto pa = service_->Authenticate(key_a_);
    ASSERT_TRUE(pa);
    a_ = *pa;
    auto pb = service_->Authenticate(key_b_);
    ASSERT_TRUE(pb);
    b_ = *pb;
    ASSERT_NE(a_.company_id, b_.company_id);
  }

  void TearDown() override {
    service_.reset();
    faulty_.reset();
    store_.reset();
  }

  void PutA(const Report& r) {
    auto put = service_->PutReport(a_, r);
    ASSERT_TRUE(put) << put.error().message();
  }

  // The token at the end of a signed URL.
  static std::string TokenOf(const std::string& url) {
    std::string prefix = std::string(kBaseUrl) + std::string(service::kSharedLinkPath);
    if (url.rfind(prefix, 0) != 0) return "";
    return url.substr(prefix.size());
  }

  // The claims of a token under the ring in force.
  links::LinkClaims ClaimsOf(const std::string& token) const {
    auto claims = links::VerifyToken(*keys_->Get(), token);
    EXPECT_TRUE(claims);
    return claims ? *claims : links::LinkClaims{};
  }

  std::optional<LinkRecord> StoredLink(const LinkId& id) const {
    auto link = store_->GetLink(id);
    EXPECT_TRUE(link);
    return link ? *link : std::nullopt;
  }

  TempDir dir_{"rs_service_test."};
  std::unique_ptr<store::SqliteStore> store_;
  std::unique_ptr<FaultyStore> faulty_;  // over store_
  std::unique_ptr<render::ReportRenderer> renderer_;
  std::unique_ptr<FaultyRenderer> faulty_renderer_;  // over renderer_
  std::unique_ptr<service::KeyRingHolder> keys_;
  FakeClock clock_;
  std::unique_ptr<service::ReportService> service_;
  std::string key_a_, key_a_id_, key_b_;
  store::Principal a_, b_;
};

}  // namespace reportshare::test_support
