#include "service/report_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/log.h"
#include "core/rfc3339.h"
#include "links/key_ring.h"
#include "links/token.h"
#include "service/bulk_download.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"
#include "support/fake_clock.h"
#include "support/service_fixture.h"

namespace reportshare::service {
namespace {

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::minutes;
using test_support::At;
using test_support::CompletedReport;
using test_support::FakeClock;
using test_support::FaultyStore;
using test_support::kBaseUrl;
using test_support::PendingReport;
using test_support::ServiceFixture;
using test_support::StoreMethod;

// ---------------------------------------------------------------------------
// FakeClock itself.

TEST(FakeClockTest, SetAndAdvance) {
  FakeClock clock;
  Instant t = At("2025-01-01T00:00:00Z");
  clock.Set(t);
  EXPECT_EQ(clock.Now(), t);
  clock.Advance(microseconds(1));
  EXPECT_EQ(clock.Now(), t + microseconds(1));
  clock.Advance(hours(2));
  EXPECT_EQ(clock.Now(), t + hours(2) + microseconds(1));
}

// ---------------------------------------------------------------------------
// Authenticate.

class ReportServiceTest : public ServiceFixture {
 protected:
  // Shares `id` as company A; fails the test if it cannot.
  service::ShareResult ShareA(int64_t id, microseconds lifetime = hours(1)) {
    auto shared = service_->Share(a_, ReportId{id}, lifetime);
    EXPECT_TRUE(shared) << (shared ? "" : shared.error().message());
    return shared ? *shared : service::ShareResult{};
  }
};

// Suites whose names end in PdfTest render a real PDF (Cairo + Pango); the
// tsan preset leaves them out (see docs/architecture.md, "Threads").
class ReportServicePdfTest : public ReportServiceTest {};

TEST_F(ReportServiceTest, AuthenticateEmptyKeyIsUnauthenticated) {
  auto who = service_->Authenticate("");
  ASSERT_FALSE(who);
  EXPECT_EQ(who.error().code(), Code::kUnauthenticated);
}

TEST_F(ReportServiceTest, AuthenticateUnknownKeyIsUnauthenticated) {
  auto who = service_->Authenticate("rs_thisKeyWasNeverIssuedByAnyoneAtAll000000000");
  ASSERT_FALSE(who);
  EXPECT_EQ(who.error().code(), Code::kUnauthenticated);
  // The message never echoes the key.
  EXPECT_EQ(who.error().message().find("rs_this"), std::string::npos);
}

TEST_F(ReportServiceTest, AuthenticateRevokedKeyIsUnauthenticated) {
  auto revoked = store_->RevokeApiKey(key_a_id_, clock_.Now());
  ASSERT_TRUE(revoked);
  ASSERT_TRUE(*revoked);
  auto who = service_->Authenticate(key_a_);
  ASSERT_FALSE(who);
  EXPECT_EQ(who.error().code(), Code::kUnauthenticated);
  // The other company's key is untouched.
  EXPECT_TRUE(service_->Authenticate(key_b_));
}

TEST_F(ReportServiceTest, AuthenticateValidKeyGivesItsCompany) {
  auto who = service_->Authenticate(key_a_);
  ASSERT_TRUE(who);
  EXPECT_EQ(who->company_name, "Acme Talent");
  EXPECT_EQ(who->key_id, key_a_id_);
  auto other = service_->Authenticate(key_b_);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->company_name, "Globex Hiring");
  EXPECT_NE(who->company_id, other->company_id);
}

// ---------------------------------------------------------------------------
// Share.

TEST_F(ReportServiceTest, ShareBuildsUrlAndExactExpiry) {
  PutA(CompletedReport(318));
  Instant minted = clock_.Now();
  auto shared = service_->Share(a_, ReportId{318}, hours(2));
  ASSERT_TRUE(shared) << shared.error().message();

  std::string prefix = std::string(kBaseUrl) + "/assessments/bp/reports/shared/";
  ASSERT_EQ(shared->signed_url.rfind(prefix, 0), 0u) << shared->signed_url;
  std::string token = shared->signed_url.substr(prefix.size());
  EXPECT_EQ(token.size(), links::kTokenLength);
  EXPECT_EQ(shared->expires_at, minted + hours(2));
  EXPECT_EQ(shared->report_id, ReportId{318});
  EXPECT_EQ(shared->assessment_id, 138);

  links::LinkClaims claims = ClaimsOf(token);
  EXPECT_EQ(claims.report_id, ReportId{318});
  EXPECT_EQ(claims.expires_at, minted + hours(2));
  EXPECT_EQ(claims.key_id, keys_->Get()->active().id);
}

TEST_F(ReportServiceTest, ShareWithMinimumLifetimeIsExact) {
  PutA(CompletedReport(318));
  Instant minted = clock_.Now();
  auto shared = ShareA(318, service::kMinLinkLifetime);
  EXPECT_EQ(shared.expires_at, minted + minutes(15));
}

TEST_F(ReportServiceTest, ShareStoresTheLinkRowWithNoViews) {
  PutA(CompletedReport(318));
  Instant minted = clock_.Now();
  auto shared = ShareA(318, hours(3));
  links::LinkClaims claims = ClaimsOf(TokenOf(shared.signed_url));

  auto link = StoredLink(claims.link_id);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->link_id, claims.link_id);
  EXPECT_EQ(link->report_id, ReportId{318});
  EXPECT_EQ(link->company_id, a_.company_id);
  EXPECT_EQ(link->signing_key_id, keys_->Get()->active().id);
  EXPECT_EQ(link->created_at, minted);
  EXPECT_EQ(link->expires_at, minted + hours(3));
  EXPECT_FALSE(link->revoked_at);
  EXPECT_EQ(link->views, 0);
  EXPECT_FALSE(link->last_viewed_at);
}

TEST_F(ReportServiceTest, EachShareMintsADistinctLink) {
  PutA(CompletedReport(318));
  auto one = ShareA(318);
  auto two = ShareA(318);
  EXPECT_NE(one.signed_url, two.signed_url);
  EXPECT_NE(ClaimsOf(TokenOf(one.signed_url)).link_id, ClaimsOf(TokenOf(two.signed_url)).link_id);
}

TEST_F(ReportServiceTest, ShareOfMissingReportIsNotFound) {
  auto shared = service_->Share(a_, ReportId{999}, hours(1));
  ASSERT_FALSE(shared);
  EXPECT_EQ(shared.error().code(), Code::kNotFound);
}

TEST_F(ReportServiceTest, ShareOfNotCompletedIsFailedPrecondition) {
  PutA(PendingReport(400));
  Report started = PendingReport(401);
  started.invite_status = InviteStatus::kStarted;
  started.started_date = At("2025-07-09T06:00:00Z");
  PutA(started);

  for (int64_t id : {400, 401}) {
    SCOPED_TRACE(id);
    auto shared = service_->Share(a_, ReportId{id}, hours(1));
    ASSERT_FALSE(shared);
    EXPECT_EQ(shared.error().code(), Code::kFailedPrecondition);
    auto pdf = service_->Download(a_, ReportId{id});
    ASSERT_FALSE(pdf);
    EXPECT_EQ(pdf.error().code(), Code::kFailedPrecondition);
  }
  // No link row was written.
  auto links = service_->ListLinks(a_, ReportId{400});
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->empty());
}

TEST_F(ReportServicePdfTest, DownloadGivesAPdfWithAsciiName) {
  PutA(CompletedReport(318));
  auto pdf = service_->Download(a_, ReportId{318});
  ASSERT_TRUE(pdf) << pdf.error().message();
  EXPECT_EQ(pdf->filename, "report-318.pdf");
  EXPECT_EQ(pdf->bytes.rfind("%PDF-", 0), 0u);
}

// ---------------------------------------------------------------------------
// Faults: a renderer that fails, an audit write that fails, the recorder.

TEST_F(ReportServicePdfTest, FailedRenderIsNotCachedAndTheNextDownloadRendersAgain) {
  PutA(CompletedReport(318));
  PdfCache cache(1 << 20);
  ReportService cached(*faulty_, *faulty_renderer_, *keys_, clock_, kBaseUrl, &cache);
  faulty_renderer_->FailPdf(1);
  auto failed = cached.Download(a_, ReportId{318});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kInternal);
  EXPECT_EQ(cache.entries(), 0u);

  auto first = cached.Download(a_, ReportId{318});
  ASSERT_TRUE(first) << first.error().message();
  auto second = cached.Download(a_, ReportId{318});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->bytes, first->bytes);
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 2);  // the failure, then one real render
  EXPECT_EQ(cached.counters().pdfs_rendered.load(), 1u);
  EXPECT_EQ(cached.counters().pdf_cache_hits.load(), 1u);
}

TEST_F(ReportServiceTest, FailedAuditWriteStillServesTheLinkAndIsLogged) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  auto log = std::make_shared<test_support::CapturingLogSink>();
  core::ScopedLogSink scoped(log);
  faulty_->FailMethod(StoreMethod::kRecordOpens);
  auto opened = service_->OpenLink(token, true);
  ASSERT_TRUE(opened) << opened.error().message();
  auto warnings =
      log->Matching("service", core::LogLevel::kWarning, "could not record a link open");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].Field("error"), "database unavailable");
  EXPECT_EQ(warnings[0].Field("report_id"), "318");
  std::string logged = log->AllText();
  EXPECT_EQ(logged.find(token), std::string::npos) << logged;
  EXPECT_EQ(logged.find(key_a_), std::string::npos) << logged;
  EXPECT_EQ(StoredLink(ClaimsOf(token).link_id)->views, 0);  // lost, not counted later
}

TEST_F(ReportServiceTest, WithARecorderOpensAreQueuedAndTheLinksListReadsThem) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  OpenRecorder recorder(*faulty_, std::chrono::minutes(1));
  ReportService batched(*faulty_, *faulty_renderer_, *keys_, clock_, kBaseUrl, nullptr, &recorder);
  size_t before = faulty_->call_count();
  ASSERT_TRUE(batched.OpenLink(token, true));
  EXPECT_EQ(faulty_->MethodsCalled(before),
            (std::vector<StoreMethod>{StoreMethod::kGetLink, StoreMethod::kGetReport}));

  // A failed flush does not fail the list: it is a moment behind.
  faulty_->FailMethod(StoreMethod::kRecordOpens, 1);
  auto behind = batched.ListLinks(a_, ReportId{318});
  ASSERT_TRUE(behind) << behind.error().message();
  ASSERT_EQ(behind->size(), 1u);
  EXPECT_EQ((*behind)[0].views, 0);
  // The next list flushes first and sees its own node's view.
  before = faulty_->call_count();
  auto links = batched.ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  EXPECT_EQ((*links)[0].views, 1);
  EXPECT_EQ(faulty_->MethodsCalled(before),
            (std::vector<StoreMethod>{StoreMethod::kGetReport, StoreMethod::kRecordOpens,
                                      StoreMethod::kListLinks}));
}

// ---------------------------------------------------------------------------
// Tenant isolation: another company's report is indistinguishable from a
// missing one.

TEST_F(ReportServiceTest, OtherCompanysReportLooksMissing) {
  PutA(CompletedReport(318));
  auto a_link = ShareA(318);
  LinkId a_link_id = ClaimsOf(TokenOf(a_link.signed_url)).link_id;

  auto missing = service_->GetReport(b_, ReportId{777});
  ASSERT_FALSE(missing);
  ASSERT_EQ(missing.error().code(), Code::kNotFound);
  const Status& expected = missing.error();

  auto share = service_->Share(b_, ReportId{318}, hours(1));
  ASSERT_FALSE(share);
  EXPECT_EQ(share.error(), expected);
  auto download = service_->Download(b_, ReportId{318});
  ASSERT_FALSE(download);
  EXPECT_EQ(download.error(), expected);
  auto get = service_->GetReport(b_, ReportId{318});
  ASSERT_FALSE(get);
  EXPECT_EQ(get.error(), expected);
  auto list = service_->ListLinks(b_, ReportId{318});
  ASSERT_FALSE(list);
  EXPECT_EQ(list.error(), expected);
  auto revoke = service_->RevokeLink(b_, ReportId{318}, a_link_id);
  ASSERT_FALSE(revoke);
  EXPECT_EQ(revoke.error(), expected);
  auto revoke_all = service_->RevokeAllLinks(b_, ReportId{318});
  ASSERT_FALSE(revoke_all);
  EXPECT_EQ(revoke_all.error(), expected);

  // The same calls on a truly missing id say the very same thing.
  auto share_missing = service_->Share(b_, ReportId{777}, hours(1));
  ASSERT_FALSE(share_missing);
  EXPECT_EQ(share_missing.error(), expected);
  auto list_missing = service_->ListLinks(b_, ReportId{777});
  ASSERT_FALSE(list_missing);
  EXPECT_EQ(list_missing.error(), expected);

  // Nothing of A's changed: the link is live and unviewed.
  auto link = StoredLink(a_link_id);
  ASSERT_TRUE(link);
  EXPECT_FALSE(link->revoked_at);
  EXPECT_TRUE(service_->OpenLink(TokenOf(a_link.signed_url), false));
}

TEST_F(ReportServiceTest, PendingReportOfOtherCompanyIsNotFoundNotPrecondition) {
  PutA(PendingReport(400));
  auto share = service_->Share(b_, ReportId{400}, hours(1));
  ASSERT_FALSE(share);
  EXPECT_EQ(share.error().code(), Code::kNotFound);
}

// ---------------------------------------------------------------------------
// OpenLink.

TEST_F(ReportServiceTest, OpenLinkGivesTheReport) {
  PutA(CompletedReport(318));
  auto shared = ShareA(318);
  auto opened = service_->OpenLink(TokenOf(shared.signed_url), false);
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_EQ(opened->report.report.report_id, ReportId{318});
  EXPECT_EQ(opened->report.report.name, "Priya Raman");
  EXPECT_EQ(opened->report.company_id, a_.company_id);
  EXPECT_EQ(opened->report.company_name, "Acme Talent");
  EXPECT_EQ(opened->claims.report_id, ReportId{318});
  EXPECT_EQ(opened->claims.expires_at, shared.expires_at);
}

TEST_F(ReportServiceTest, OpenLinkIsValidUntilJustBeforeExpiry) {
  PutA(CompletedReport(318));
  auto shared = ShareA(318, hours(1));
  std::string token = TokenOf(shared.signed_url);

  clock_.Set(shared.expires_at - microseconds(1));
  EXPECT_TRUE(service_->OpenLink(token, false));

  clock_.Set(shared.expires_at);
  auto at_expiry = service_->OpenLink(token, false);
  ASSERT_FALSE(at_expiry);
  EXPECT_EQ(at_expiry.error().code(), Code::kGone);

  clock_.Advance(hours(100));
  auto later = service_->OpenLink(token, false);
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code(), Code::kGone);
}

TEST_F(ReportServiceTest, OpenLinkOfRevokedLinkIsGone) {
  PutA(CompletedReport(318));
  auto shared = ShareA(318);
  std::string token = TokenOf(shared.signed_url);
  auto revoked = service_->RevokeLink(a_, ReportId{318}, ClaimsOf(token).link_id);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(*revoked, 1);
  auto opened = service_->OpenLink(token, true);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kGone);
  // A refused open counts no view.
  EXPECT_EQ(StoredLink(ClaimsOf(token).link_id)->views, 0);
}

TEST_F(ReportServiceTest, OpenLinkOfTamperedTokenIsNotFound) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  std::string token = TokenOf(ShareA(318).signed_url);
  ASSERT_EQ(token.size(), links::kTokenLength);

  auto flip = [](char c) { return c == 'A' ? 'B' : 'A'; };
  // One character of the payload (inside the link id), one of the tag.
  std::string payload_tampered = token;
  payload_tampered[10] = flip(payload_tampered[10]);
  std::string tag_tampered = token;
  tag_tampered[token.size() - 5] = flip(tag_tampered[token.size() - 5]);

  for (const std::string& bad :
       {payload_tampered, tag_tampered, token.substr(0, token.size() - 1), token + "A",
        std::string(""), std::string("not-a-token"), std::string(200, 'A')}) {
    SCOPED_TRACE(bad);
    auto opened = service_->OpenLink(bad, true);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Code::kNotFound);
  }
  EXPECT_EQ(StoredLink(ClaimsOf(token).link_id)->views, 0);
}

TEST_F(ReportServiceTest, OpenLinkOfRetargetedClaimsIsNotFound) {
  // Valid signature, but the claims name a report the link row does not.
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  links::LinkClaims claims = ClaimsOf(TokenOf(ShareA(318).signed_url));
  claims.report_id = ReportId{319};
  auto opened = service_->OpenLink(links::SignToken(*keys_->Get(), claims), false);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kNotFound);
}

TEST_F(ReportServiceTest, OpenLinkOfUnknownLinkIdIsNotFound) {
  PutA(CompletedReport(318));
  auto fresh = links::NewLinkId(clock_.Now());
  ASSERT_TRUE(fresh);
  links::LinkClaims claims{{}, *fresh, ReportId{318}, clock_.Now() + hours(1)};
  auto opened = service_->OpenLink(links::SignToken(*keys_->Get(), claims), false);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kNotFound);
}

TEST_F(ReportServiceTest, OpenLinkSignedByKeyNotInRingIsNotFound) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  links::LinkClaims claims = ClaimsOf(token);  // a link row exists for it

  // Same key id as ours (1) but another secret.
  auto stranger = links::KeyRing::Generate();
  ASSERT_TRUE(stranger);
  auto same_id = service_->OpenLink(links::SignToken(*stranger, claims), false);
  ASSERT_FALSE(same_id);
  EXPECT_EQ(same_id.error().code(), Code::kNotFound);

  // A key id (2) that our ring does not have at all.
  auto rotated_stranger = stranger->WithNewActiveKey();
  ASSERT_TRUE(rotated_stranger);
  ASSERT_EQ(keys_->Get()->Find(rotated_stranger->active().id), nullptr);
  auto unknown_id = service_->OpenLink(links::SignToken(*rotated_stranger, claims), false);
  ASSERT_FALSE(unknown_id);
  EXPECT_EQ(unknown_id.error().code(), Code::kNotFound);
}

// SPEC §2.2: a forged or altered token is rejected before any database work;
// docs/decisions.md: so is an expired one.
TEST_F(ReportServiceTest, BadOrExpiredTokenTouchesNoDatabase) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318, hours(1)).signed_url);
  FaultyStore counting(*store_);
  service::ReportService watched(counting, *renderer_, *keys_, clock_, kBaseUrl);

  ASSERT_TRUE(watched.OpenLink(token, false));
  EXPECT_GT(counting.call_count(), 0u);  // the counter works

  size_t before = counting.call_count();
  std::string tampered = token;
  tampered[token.size() - 3] = tampered[token.size() - 3] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {tampered, std::string("x"), std::string()}) {
    auto opened = watched.OpenLink(bad, true);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Code::kNotFound);
  }
  EXPECT_EQ(counting.call_count(), before);
  // An expired link is judged from the token alone; the only database call
  // is the audit of the attempt (written, never read).
  clock_.Advance(hours(1));
  auto expired = watched.OpenLink(token, true);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code(), Code::kGone);
  EXPECT_EQ(counting.MethodsCalled(before), std::vector<StoreMethod>{StoreMethod::kRecordOpens});
}

TEST_F(ReportServiceTest, ReportLinkSurvivesRotation) {
  PutA(CompletedReport(318));
  auto before = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(before && before->report_link);
  auto rotated = keys_->Get()->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  keys_->Set(std::move(*rotated));
  // The link already handed out keeps working.
  EXPECT_TRUE(service_->OpenLink(TokenOf(*before->report_link), false));
  auto after = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(after && after->report_link);
  EXPECT_TRUE(service_->OpenLink(TokenOf(*after->report_link), false));
}

TEST_F(ReportServiceTest, RotationKeepsOldLinksAndSignsNewOnesWithNewKey) {
  PutA(CompletedReport(318));
  SigningKeyId old_id = keys_->Get()->active().id;
  std::string old_token = TokenOf(ShareA(318).signed_url);

  auto rotated = keys_->Get()->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  SigningKeyId new_id = rotated->active().id;
  ASSERT_NE(new_id, old_id);
  keys_->Set(std::move(*rotated));

  auto old_opened = service_->OpenLink(old_token, false);
  ASSERT_TRUE(old_opened) << old_opened.error().message();
  EXPECT_EQ(old_opened->claims.key_id, old_id);

  std::string new_token = TokenOf(ShareA(318).signed_url);
  links::LinkClaims new_claims = ClaimsOf(new_token);
  EXPECT_EQ(new_claims.key_id, new_id);
  auto link = StoredLink(new_claims.link_id);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->signing_key_id, new_id);
  auto new_opened = service_->OpenLink(new_token, false);
  ASSERT_TRUE(new_opened);
  EXPECT_EQ(new_opened->claims.key_id, new_id);
}

TEST_F(ReportServiceTest, CountViewTrueCountsAndFalseDoesNot) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  LinkId id = ClaimsOf(token).link_id;

  ASSERT_TRUE(service_->OpenLink(token, false));
  EXPECT_EQ(StoredLink(id)->views, 0);
  EXPECT_FALSE(StoredLink(id)->last_viewed_at);

  clock_.Advance(minutes(5));
  Instant first_view = clock_.Now();
  ASSERT_TRUE(service_->OpenLink(token, true));
  EXPECT_EQ(StoredLink(id)->views, 1);
  EXPECT_EQ(StoredLink(id)->last_viewed_at, first_view);

  clock_.Advance(minutes(1));
  ASSERT_TRUE(service_->OpenLink(token, true));
  ASSERT_TRUE(service_->OpenLink(token, false));
  EXPECT_EQ(StoredLink(id)->views, 2);
  EXPECT_EQ(StoredLink(id)->last_viewed_at, first_view + minutes(1));
}

TEST_F(ReportServiceTest, ReplacingReportWithPendingMakesLinksGone) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  ASSERT_TRUE(service_->OpenLink(token, false));

  Report pending = PendingReport(318);
  PutA(pending);
  auto opened = service_->OpenLink(token, true);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kGone);

  // Completing it again brings the link back, showing the new content.
  Report again = CompletedReport(318);
  again.name = "Priya R.";
  PutA(again);
  auto reopened = service_->OpenLink(token, false);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->report.report.name, "Priya R.");
}

// ---------------------------------------------------------------------------
// The link page from the HTML cache.

class ReportServiceHtmlCacheTest : public ReportServiceTest {
 protected:
  void SetUp() override {
    ReportServiceTest::SetUp();
    cached_ = std::make_unique<ReportService>(*faulty_, *faulty_renderer_, *keys_, clock_, kBaseUrl,
                                              nullptr, nullptr, &html_cache_);
  }
  void TearDown() override {
    cached_.reset();
    ReportServiceTest::TearDown();
  }
  // The page of `token` as the cached service serves it, and the store calls it made.
  std::string Page(const std::string& token, std::vector<StoreMethod>* calls = nullptr) {
    size_t before = faulty_->call_count();
    auto opened = cached_->OpenLink(token, Visitor::Page());
    EXPECT_TRUE(opened) << (opened ? "" : opened.error().message());
    if (!opened) return "";
    std::string html = cached_->LinkHtml(*opened);
    if (calls) *calls = faulty_->MethodsCalled(before);
    return html;
  }
  // The page a render without any cache gives now.
  std::string Rendered(const std::string& token) {
    auto opened = service_->OpenLink(token, false);
    EXPECT_TRUE(opened);
    return opened ? service_->LinkHtml(*opened) : "";
  }

  PdfCache html_cache_{1 << 20};
  std::unique_ptr<ReportService> cached_;
};

TEST_F(ReportServiceHtmlCacheTest, TheSecondOpenIsServedFromTheCacheWithoutTheBody) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  std::vector<StoreMethod> first, second;
  std::string miss = Page(token, &first);
  std::string hit = Page(token, &second);
  EXPECT_EQ(first, (std::vector<StoreMethod>{StoreMethod::kGetLink, StoreMethod::kGetReportHead,
                                             StoreMethod::kGetReport, StoreMethod::kRecordOpens}));
  EXPECT_EQ(second, (std::vector<StoreMethod>{StoreMethod::kGetLink, StoreMethod::kGetReportHead,
                                              StoreMethod::kRecordOpens}));
  // Byte for byte the page of a render, PDF link included; both opens counted.
  EXPECT_EQ(miss, Rendered(token));
  EXPECT_EQ(hit, miss);
  EXPECT_NE(hit.find("href=\"?format=pdf\""), std::string::npos);
  EXPECT_EQ(StoredLink(ClaimsOf(token).link_id)->views, 2);
  EXPECT_EQ(html_cache_.entries(), 1u);
}

TEST_F(ReportServiceHtmlCacheTest, ANewReportVersionIsRenderedAgain) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  std::string old_page = Page(token);
  ASSERT_NE(old_page.find("Priya Raman"), std::string::npos);

  Report renamed = CompletedReport(318);
  renamed.name = "Priya <R.>";
  PutA(renamed);
  std::string new_page = Page(token);
  EXPECT_EQ(new_page.find("Priya Raman"), std::string::npos);
  EXPECT_NE(new_page.find("Priya &lt;R.&gt;"), std::string::npos);
  EXPECT_EQ(new_page, Rendered(token));

  // A report no longer Completed is gone at once, cache or not.
  PutA(PendingReport(318));
  auto gone = cached_->OpenLink(token, Visitor::Page());
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kGone);
}

TEST_F(ReportServiceHtmlCacheTest, TheGeneratedMinuteIsPartOfTheKey) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  std::string at_nine = Page(token);
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_EQ(Page(token), at_nine);  // 09:00:59 shows 09:00 too
  clock_.Advance(std::chrono::seconds(1));
  std::string at_one_past = Page(token);
  EXPECT_NE(at_one_past, at_nine);
  EXPECT_NE(at_one_past.find("09:01 UTC"), std::string::npos);
  EXPECT_EQ(at_one_past, Rendered(token));
}

TEST_F(ReportServiceHtmlCacheTest, AFailedHeadReadIsUnavailable) {
  PutA(CompletedReport(318));
  std::string token = TokenOf(ShareA(318).signed_url);
  faulty_->FailMethod(StoreMethod::kGetReportHead, 1);
  auto opened = cached_->OpenLink(token, Visitor::Page());
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kUnavailable);
}

// ---------------------------------------------------------------------------
// GetReport and report_link.

TEST_F(ReportServiceTest, GetReportLinkIsStableAndOpens) {
  PutA(CompletedReport(318));
  auto first = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_TRUE(first->report_link);
  clock_.Advance(minutes(30));
  auto second = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(second);
  ASSERT_TRUE(second->report_link);
  EXPECT_EQ(*first->report_link, *second->report_link);
  EXPECT_EQ(first->report.name, "Priya Raman");

  std::string token = TokenOf(*first->report_link);
  ASSERT_FALSE(token.empty()) << *first->report_link;
  links::LinkClaims claims = ClaimsOf(token);
  EXPECT_EQ(claims.expires_at, At("2025-07-09T06:58:40Z") + hours(24 * 7));
  EXPECT_EQ(claims.report_id, ReportId{318});
  auto opened = service_->OpenLink(token, true);
  ASSERT_TRUE(opened) << opened.error().message();

  // One stored row, however many GETs.
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ((*links)[0].link_id, claims.link_id);
  EXPECT_EQ((*links)[0].views, 1);
}

// A read answers when the database cannot be written (a full disk, a
// read-only file; issue 10): GET gives the report_link it could not store,
// and that link's first open stores its row.
TEST_F(ReportServiceTest, GetReportAnswersWhenItsLinkCannotBeStored) {
  PutA(CompletedReport(318));
  faulty_->FailMethod(StoreMethod::kInsertLink);
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got) << got.error().message();
  ASSERT_TRUE(got->report_link);
  const std::string token = TokenOf(*got->report_link);

  // While it cannot be written, the link's first open fails cleanly.
  auto failed = service_->OpenLink(token, true);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), Code::kUnavailable);

  faulty_->Heal();
  ASSERT_TRUE(service_->OpenLink(token, true));
  ASSERT_TRUE(service_->OpenLink(token, true));
  auto again = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(again && again->report_link);
  EXPECT_EQ(*again->report_link, *got->report_link);
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ((*links)[0].link_id, ClaimsOf(token).link_id);
  EXPECT_EQ((*links)[0].views, 2);
  EXPECT_EQ((*links)[0].base_url, kBaseUrl);
}

TEST_F(ReportServiceTest, GetReportWritesOnlyOnce) {
  PutA(CompletedReport(318));
  ASSERT_TRUE(service_->GetReport(a_, ReportId{318}));
  const size_t before = faulty_->call_count();
  ASSERT_TRUE(service_->GetReport(a_, ReportId{318}));
  EXPECT_EQ(faulty_->MethodsCalled(before),
            (std::vector<StoreMethod>{StoreMethod::kGetReport, StoreMethod::kGetLink}));
}

// A report_link handed out without its row is revoked with the rest: its row
// is stored revoked, so no later open brings it to life.
TEST_F(ReportServiceTest, RevokingAllLinksRevokesAReportLinkThatHasNoRow) {
  PutA(CompletedReport(318));
  ShareA(318);
  faulty_->FailMethod(StoreMethod::kInsertLink, 1);
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got && got->report_link);
  auto revoked = service_->RevokeAllLinks(a_, ReportId{318});
  ASSERT_TRUE(revoked) << revoked.error().message();
  EXPECT_EQ(*revoked, 1);  // the shared link; the report_link had no live row
  auto opened = service_->OpenLink(TokenOf(*got->report_link), true);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kGone);
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  EXPECT_EQ(links->size(), 2u);
}

TEST_F(ReportServiceTest, RevokingOneReportLinkThatHasNoRow) {
  PutA(CompletedReport(318));
  faulty_->FailMethod(StoreMethod::kInsertLink, 1);
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got && got->report_link);
  const std::string token = TokenOf(*got->report_link);
  auto revoked = service_->RevokeLink(a_, ReportId{318}, ClaimsOf(token).link_id);
  ASSERT_TRUE(revoked) << revoked.error().message();
  EXPECT_EQ(*revoked, 1);
  auto opened = service_->OpenLink(token, true);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kGone);
}

// After a rotation, an older key's report_link that never got a row is not
// brought to life by an open: no revocation could have seen it.
TEST_F(ReportServiceTest, AnOlderKeysReportLinkWithoutARowDoesNotOpen) {
  PutA(CompletedReport(318));
  faulty_->FailMethod(StoreMethod::kInsertLink, 1);
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got && got->report_link);
  auto rotated = keys_->Get()->WithNewActiveKey();
  ASSERT_TRUE(rotated);
  keys_->Set(std::move(*rotated));
  auto opened = service_->OpenLink(TokenOf(*got->report_link), true);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code(), Code::kNotFound);
}

TEST_F(ReportServiceTest, GetReportOfPendingHasNoLink) {
  PutA(PendingReport(400));
  auto got = service_->GetReport(a_, ReportId{400});
  ASSERT_TRUE(got);
  EXPECT_FALSE(got->report_link);
  EXPECT_EQ(got->report.invite_status, InviteStatus::kPending);
  auto links = service_->ListLinks(a_, ReportId{400});
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->empty());
}

TEST_F(ReportServiceTest, ReportLinkExpiresSevenDaysAfterCompletion) {
  PutA(CompletedReport(318));
  Instant deadline = At("2025-07-09T06:58:40Z") + hours(24 * 7);

  clock_.Set(deadline - microseconds(1));
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got);
  ASSERT_TRUE(got->report_link);
  std::string token = TokenOf(*got->report_link);
  EXPECT_TRUE(service_->OpenLink(token, false));

  clock_.Set(deadline);
  auto gone = service_->OpenLink(token, false);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kGone);

  // Asked for after the deadline, GET still answers, with a link that is gone.
  clock_.Advance(hours(24));
  auto late = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(late);
  ASSERT_TRUE(late->report_link);
  EXPECT_EQ(*late->report_link, *got->report_link);
  auto late_open = service_->OpenLink(TokenOf(*late->report_link), false);
  ASSERT_FALSE(late_open);
  EXPECT_EQ(late_open.error().code(), Code::kGone);
}

TEST_F(ReportServiceTest, ReportLinkFollowsNewCompletedDate) {
  PutA(CompletedReport(318));
  auto before = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(before && before->report_link);

  Report moved = CompletedReport(318);
  moved.completed_date = At("2025-07-10T08:00:00Z");
  PutA(moved);
  auto after = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(after && after->report_link);
  EXPECT_NE(*after->report_link, *before->report_link);
  EXPECT_EQ(ClaimsOf(TokenOf(*after->report_link)).expires_at,
            At("2025-07-10T08:00:00Z") + hours(24 * 7));
}

TEST_F(ReportServiceTest, ReportLinkOfTheLastPossibleDateStaysAnRfc3339Instant) {
  Report last = CompletedReport(318);
  last.completed_date = At("9999-12-31T23:59:59Z");
  PutA(last);
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got && got->report_link);
  std::string token = TokenOf(*got->report_link);
  EXPECT_EQ(ClaimsOf(token).expires_at, core::kLastRfc3339Instant);
  EXPECT_EQ(core::FormatRfc3339Micros(ClaimsOf(token).expires_at), "9999-12-31T23:59:59.999999Z");
  auto opened = service_->OpenLink(token, true);
  EXPECT_TRUE(opened) << opened.error().message();
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links && links->size() == 1u);
  EXPECT_EQ((*links)[0].expires_at, core::kLastRfc3339Instant);
}

TEST_F(ReportServiceTest, OldReportLinkExpiresWhenTheCompletedDateChanges) {
  PutA(CompletedReport(318));
  auto before = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(before && before->report_link);
  ASSERT_TRUE(service_->OpenLink(TokenOf(*before->report_link), true));

  Report moved = CompletedReport(318);
  moved.completed_date = At("2025-07-10T08:00:00Z");
  PutA(moved);
  auto old_open = service_->OpenLink(TokenOf(*before->report_link), true);
  ASSERT_FALSE(old_open);
  EXPECT_EQ(old_open.error().code(), Code::kGone);
  auto after = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(after && after->report_link);
  EXPECT_TRUE(service_->OpenLink(TokenOf(*after->report_link), true));

  // A shared link is not a report_link: replacing the report keeps it open.
  auto shared = service_->Share(a_, ReportId{318}, hours(1));
  ASSERT_TRUE(shared);
  PutA(CompletedReport(318));
  EXPECT_TRUE(service_->OpenLink(TokenOf(shared->signed_url), true));
}

// ---------------------------------------------------------------------------
// PutReport.

TEST_F(ReportServiceTest, PutReportCreatesThenReplaces) {
  auto first = service_->PutReport(a_, CompletedReport(318));
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, store::PutOutcome::kCreated);
  Report changed = CompletedReport(318);
  changed.name = "Someone Else";
  auto second = service_->PutReport(a_, changed);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, store::PutOutcome::kReplaced);
  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->report.name, "Someone Else");
}

TEST_F(ReportServiceTest, PutReportOfOtherCompanysIdIsConflictAndChangesNothing) {
  PutA(CompletedReport(318));
  Report hijack = CompletedReport(318);
  hijack.name = "Mallory";
  auto put = service_->PutReport(b_, hijack);
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code(), Code::kConflict);

  auto got = service_->GetReport(a_, ReportId{318});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->report.name, "Priya Raman");
  auto from_b = service_->GetReport(b_, ReportId{318});
  ASSERT_FALSE(from_b);
  EXPECT_EQ(from_b.error().code(), Code::kNotFound);
}

// ---------------------------------------------------------------------------
// Listing and revoking.

TEST_F(ReportServiceTest, ListLinksNewestFirst) {
  PutA(CompletedReport(318));
  LinkId first = ClaimsOf(TokenOf(ShareA(318).signed_url)).link_id;
  clock_.Advance(minutes(1));
  LinkId second = ClaimsOf(TokenOf(ShareA(318).signed_url)).link_id;
  clock_.Advance(minutes(1));
  LinkId third = ClaimsOf(TokenOf(ShareA(318).signed_url)).link_id;

  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 3u);
  EXPECT_EQ((*links)[0].link_id, third);
  EXPECT_EQ((*links)[1].link_id, second);
  EXPECT_EQ((*links)[2].link_id, first);
}

TEST_F(ReportServiceTest, ListLinksOnlyShowsThatReport) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  ShareA(318);
  ShareA(319);
  ShareA(319);
  auto links = service_->ListLinks(a_, ReportId{318});
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ((*links)[0].report_id, ReportId{318});
}

TEST_F(ReportServiceTest, RevokeLinkReturnsOneThenZero) {
  PutA(CompletedReport(318));
  LinkId id = ClaimsOf(TokenOf(ShareA(318).signed_url)).link_id;
  clock_.Advance(minutes(3));
  Instant revoked_at = clock_.Now();
  auto once = service_->RevokeLink(a_, ReportId{318}, id);
  ASSERT_TRUE(once);
  EXPECT_EQ(*once, 1);
  clock_.Advance(minutes(3));
  auto twice = service_->RevokeLink(a_, ReportId{318}, id);
  ASSERT_TRUE(twice);
  EXPECT_EQ(*twice, 0);
  EXPECT_EQ(StoredLink(id)->revoked_at, revoked_at);
}

TEST_F(ReportServiceTest, RevokeUnknownLinkIsNotFound) {
  PutA(CompletedReport(318));
  auto fresh = links::NewLinkId(clock_.Now());
  ASSERT_TRUE(fresh);
  auto revoked = service_->RevokeLink(a_, ReportId{318}, *fresh);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code(), Code::kNotFound);
}

TEST_F(ReportServiceTest, RevokeLinkOfAnotherReportIsNotFound) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  LinkId of_318 = ClaimsOf(TokenOf(ShareA(318).signed_url)).link_id;
  auto revoked = service_->RevokeLink(a_, ReportId{319}, of_318);
  ASSERT_FALSE(revoked);
  EXPECT_EQ(revoked.error().code(), Code::kNotFound);
  EXPECT_FALSE(StoredLink(of_318)->revoked_at);
}

TEST_F(ReportServiceTest, RevokeAllLinksCountsLiveLinksOnly) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  std::string t1 = TokenOf(ShareA(318).signed_url);
  std::string t2 = TokenOf(ShareA(318).signed_url);
  std::string t3 = TokenOf(ShareA(318).signed_url);
  std::string other = TokenOf(ShareA(319).signed_url);
  auto one = service_->RevokeLink(a_, ReportId{318}, ClaimsOf(t1).link_id);
  ASSERT_TRUE(one);
  ASSERT_EQ(*one, 1);

  auto all = service_->RevokeAllLinks(a_, ReportId{318});
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 2);
  auto again = service_->RevokeAllLinks(a_, ReportId{318});
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0);

  for (const std::string& t : {t1, t2, t3}) {
    auto opened = service_->OpenLink(t, false);
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error().code(), Code::kGone);
  }
  // Report 319's link is untouched.
  EXPECT_TRUE(service_->OpenLink(other, false));
}

TEST_F(ReportServiceTest, RevokeAllOnReportWithoutLinksIsZero) {
  PutA(CompletedReport(318));
  auto all = service_->RevokeAllLinks(a_, ReportId{318});
  ASSERT_TRUE(all);
  EXPECT_EQ(*all, 0);
}

TEST_F(ReportServiceTest, ReadyWhenDatabaseAnswers) { EXPECT_TRUE(service_->Ready().ok()); }

TEST_F(ReportServiceTest, PublicBaseUrlIsKept) { EXPECT_EQ(service_->public_base_url(), kBaseUrl); }

// ---------------------------------------------------------------------------
// Bulk download: rendering ahead in a bounded window.

class BulkDownloadPdfTest : public ServiceFixture {
 protected:
  std::vector<ReportId> PutCompleted(int n) {
    std::vector<ReportId> ids;
    for (int i = 0; i < n; ++i) {
      PutA(CompletedReport(400 + i));
      ids.push_back(ReportId{400 + i});
    }
    return ids;
  }
};

TEST_F(BulkDownloadPdfTest, RendersAtMostTheRenderersParallelismAheadAndHandsOutInOrder) {
  std::vector<ReportId> ids = PutCompleted(5);
  faulty_renderer_->SetParallelism(2);
  auto bulk = service_->DownloadMany(a_, ids);
  ASSERT_EQ(bulk->size(), 5u);
  // Rendering starts at once, two at a time, and waits for the consumer.
  EXPECT_TRUE(test_support::Eventually([&] { return faulty_renderer_->pdf_renders() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 2);
  for (ReportId id : ids) {
    auto item = bulk->Next();
    ASSERT_TRUE(item);
    EXPECT_EQ(item->report_id, id);
    ASSERT_TRUE(item->pdf) << item->pdf.error().message();
    EXPECT_EQ(item->pdf->filename, "report-" + std::to_string(id.value) + ".pdf");
    EXPECT_EQ(item->pdf->bytes.rfind("%PDF-", 0), 0u);
    EXPECT_LE(faulty_renderer_->pdf_renders(), static_cast<int>(id.value - 400) + 3);
  }
  EXPECT_FALSE(bulk->Next());
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 5);
}

TEST_F(BulkDownloadPdfTest, ReadsThePdfCacheButDoesNotFillIt) {
  std::vector<ReportId> ids = PutCompleted(2);
  PdfCache cache(1 << 20);
  ReportService cached(*faulty_, *faulty_renderer_, *keys_, clock_, kBaseUrl, &cache);
  auto single = cached.Download(a_, ids[0]);  // fills the cache
  ASSERT_TRUE(single);
  ASSERT_EQ(faulty_renderer_->pdf_renders(), 1);
  auto bulk = cached.DownloadMany(a_, ids);
  for (ReportId id : ids) {
    auto item = bulk->Next();
    ASSERT_TRUE(item && item->pdf) << id.value;
    if (id == ids[0]) {
      EXPECT_EQ(item->pdf->bytes, single->bytes);
    }
  }
  bulk.reset();
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 2);  // ids[0] came from the cache
  EXPECT_EQ(cache.entries(), 1u);                 // ids[1] was not added
  ASSERT_TRUE(cached.Download(a_, ids[1]));
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 3);
}

TEST_F(BulkDownloadPdfTest, DestroyingItMidwayStartsNoFurtherRender) {
  std::vector<ReportId> ids = PutCompleted(6);
  auto bulk = service_->DownloadMany(a_, ids);
  ASSERT_TRUE(bulk->Next());
  bulk.reset();  // the client went away: joins the thread
  int renders = faulty_renderer_->pdf_renders();
  EXPECT_LE(renders, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(faulty_renderer_->pdf_renders(), renders);
}

TEST_F(BulkDownloadPdfTest, PerIdErrorsKeepTheirPlace) {
  PutA(CompletedReport(318));
  PutA(PendingReport(319));
  ASSERT_TRUE(service_->PutReport(b_, CompletedReport(320)));
  faulty_renderer_->SetParallelism(3);
  auto bulk = service_->DownloadMany(a_, {ReportId{320}, ReportId{318}, ReportId{319}});
  auto foreign = bulk->Next();
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->pdf.error(), Status::NotFound("report not found"));
  auto ok = bulk->Next();
  ASSERT_TRUE(ok && ok->pdf);
  EXPECT_EQ(ok->report_id, ReportId{318});
  auto pending = bulk->Next();
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->pdf.error().code(), Code::kFailedPrecondition);
  EXPECT_FALSE(bulk->Next());
}

// Renders nothing (every id is missing or another company's), so the threads
// and the window run under ThreadSanitizer too.
TEST_F(ReportServiceTest, BulkDownloadOfErrorsOnlyKeepsOrderAcrossItsThreads) {
  ASSERT_TRUE(service_->PutReport(b_, CompletedReport(320)));
  faulty_renderer_->SetParallelism(3);
  std::vector<ReportId> ids;
  for (int64_t i = 1; i <= 30; ++i) ids.push_back(ReportId{i == 7 ? 320 : 1000 + i});
  auto bulk = service_->DownloadMany(a_, ids);
  for (ReportId id : ids) {
    auto item = bulk->Next();
    ASSERT_TRUE(item);
    EXPECT_EQ(item->report_id, id);
    ASSERT_FALSE(item->pdf);
    EXPECT_EQ(item->pdf.error(), Status::NotFound("report not found"));
  }
  EXPECT_FALSE(bulk->Next());
  EXPECT_EQ(faulty_->CallsOf(StoreMethod::kGetReport).size(), 30u);

  // Dropped half-way: the threads stop and are joined.
  auto dropped = service_->DownloadMany(a_, ids);
  ASSERT_TRUE(dropped->Next());
  dropped.reset();
  EXPECT_EQ(faulty_renderer_->pdf_renders(), 0);
}

TEST_F(ReportServiceTest, ShareManyRecordsNothingWhenTheBatchInsertFails) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  faulty_->FailMethod(StoreMethod::kInsertLinks, 1);
  auto failed = service_->ShareMany(a_, {ReportId{318}, ReportId{319}}, hours(1));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), store::DatabaseUnavailable());
  EXPECT_EQ(service_->counters().links_minted.load(), 0u);
  auto links = store_->ListLinks(a_.company_id, ReportId{318});
  ASSERT_TRUE(links);
  EXPECT_TRUE(links->empty());

  auto shared = service_->ShareMany(a_, {ReportId{319}, ReportId{318}}, hours(1));
  ASSERT_TRUE(shared);
  ASSERT_EQ(shared->size(), 2u);
  EXPECT_EQ((*shared)[0]->report_id, ReportId{319});
  EXPECT_EQ(ClaimsOf(TokenOf((*shared)[1]->signed_url)).link_id, (*shared)[1]->link_id);
  EXPECT_EQ(service_->counters().links_minted.load(), 2u);
}

}  // namespace
}  // namespace reportshare::service
