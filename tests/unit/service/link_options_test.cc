// ReportService and SPEC §5: the options of a link applied on every open.

#include <gtest/gtest.h>

#include "service/pdf_cache.h"
#include "service/report_service.h"
#include "support/sample_reports.h"
#include "support/service_fixture.h"

namespace reportshare::service {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using test_support::CompletedReport;
using test_support::StoreMethod;

class LinkOptionsTest : public test_support::ServiceFixture {
 protected:
  // A token to report 318 of company A with `options`.
  std::string Share(const LinkOptions& options, int64_t id = 318) {
    auto shared = service_->Share(a_, ReportId{id}, hours(1), options);
    EXPECT_TRUE(shared) << (shared ? "" : shared.error().message());
    return shared ? TokenOf(shared->signed_url) : "";
  }
  static Visitor Get(LinkFormat format, std::string_view user_agent = "Mozilla/5.0 Firefox/120") {
    Visitor v;
    v.format = format;
    v.user_agent = user_agent;
    return v;
  }
  static Visitor Head(LinkFormat format) {
    Visitor v = Get(format);
    v.wants_view = false;
    return v;
  }
  Code Fails(const std::string& token, const Visitor& v) {
    auto opened = service_->OpenLink(token, v);
    return opened ? Code::kOk : opened.error().code();
  }
};

TEST_F(LinkOptionsTest, MaxViewsServesExactlyThatManyAcrossFormats) {
  PutA(CompletedReport(318));
  LinkOptions o;
  o.max_views = 3;
  std::string token = Share(o);
  // HEAD and a mail scanner never take a view.
  EXPECT_EQ(Fails(token, Head(LinkFormat::kHtml)), Code::kOk);
  EXPECT_EQ(
      Fails(token, Get(LinkFormat::kHtml, "Mozilla/5.0 (compatible; Slackbot-LinkExpanding 1.0)")),
      Code::kOk);
  EXPECT_EQ(Fails(token, Get(LinkFormat::kHtml)), Code::kOk);
  EXPECT_EQ(Fails(token, Get(LinkFormat::kJson)), Code::kOk);
  EXPECT_EQ(Fails(token, Get(LinkFormat::kHtml)), Code::kOk);
  auto over = service_->OpenLink(token, Get(LinkFormat::kHtml));
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code(), Code::kGone);
  EXPECT_EQ(over.error().message(), "this link has reached its view limit");
  // Out of views, HEAD and scanners get 410 too (the link answers like GET).
  EXPECT_EQ(Fails(token, Head(LinkFormat::kHtml)), Code::kGone);
  auto link = StoredLink(ClaimsOf(token).link_id);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->views_used, 3);
  EXPECT_EQ(link->views, 3);  // the audit's count agrees
  EXPECT_EQ(LinkStateAt(*link, clock_.Now()), LinkState::kExpired);
}

TEST_F(LinkOptionsTest, AViewIsTakenOnlyAfterEveryOtherCheck) {
  PutA(CompletedReport(318));
  LinkOptions o;
  o.max_views = 1;
  o.allow_download = false;
  std::string token = Share(o);
  // A refused PDF takes no view; a database failure during the claim is 503.
  EXPECT_EQ(Fails(token, Get(LinkFormat::kPdf)), Code::kPermissionDenied);
  faulty_->FailMethod(StoreMethod::kClaimView, 1);
  EXPECT_EQ(Fails(token, Get(LinkFormat::kHtml)), Code::kUnavailable);
  EXPECT_EQ(StoredLink(ClaimsOf(token).link_id)->views_used, 0);
  EXPECT_EQ(Fails(token, Get(LinkFormat::kHtml)), Code::kOk);
  EXPECT_EQ(Fails(token, Get(LinkFormat::kHtml)), Code::kGone);
}

TEST_F(LinkOptionsTest, AFailedRenderGivesItsViewBack) {
  PutA(CompletedReport(318));
  LinkOptions o;
  o.max_views = 1;
  std::string token = Share(o);
  faulty_renderer_->FailPdf(1);
  auto opened = service_->OpenLink(token, Get(LinkFormat::kPdf));
  ASSERT_TRUE(opened) << opened.error().message();
  EXPECT_TRUE(opened->view_taken);
  EXPECT_FALSE(service_->LinkPdf(*opened));
  EXPECT_EQ(StoredLink(ClaimsOf(token).link_id)->views_used, 0);
}

// Renders a real PDF (the API client's download): see ReportServicePdfTest.
class LinkOptionsPdfTest : public LinkOptionsTest {};

TEST_F(LinkOptionsPdfTest, DownloadsDisabledRefusesOnlyThePdf) {
  PutA(CompletedReport(318));
  LinkOptions o;
  o.allow_download = false;
  std::string token = Share(o);
  auto pdf = service_->OpenLink(token, Get(LinkFormat::kPdf));
  ASSERT_FALSE(pdf);
  EXPECT_EQ(pdf.error().code(), Code::kPermissionDenied);
  EXPECT_EQ(pdf.error().message(), "downloads are disabled for this link");
  auto page = service_->OpenLink(token, Get(LinkFormat::kHtml));
  ASSERT_TRUE(page);
  std::string html = service_->LinkHtml(*page);
  EXPECT_EQ(html.find("class=\"download\""), std::string::npos);
  EXPECT_EQ(html.find("format=pdf"), std::string::npos);
  // The API client's own download is unaffected.
  EXPECT_TRUE(service_->Download(a_, ReportId{318}));
  // The refused PDF was audited as 403, not counted.
  auto opens = service_->ListOpens(a_, ReportId{318}, ClaimsOf(token).link_id, 10);
  ASSERT_TRUE(opens);
  ASSERT_EQ(opens->size(), 2u);
  EXPECT_EQ((*opens)[1].status, 403);
  EXPECT_FALSE((*opens)[1].counted);
}

TEST_F(LinkOptionsTest, AnonymizedHidesTheCandidateBehindAStablePseudonym) {
  Report r = CompletedReport(318);
  PutA(r);
  PutA(CompletedReport(319));
  LinkOptions o;
  o.variant = Variant::kAnonymized;
  auto open = [&](const std::string& token) {
    auto opened = service_->OpenLink(token, Get(LinkFormat::kHtml));
    EXPECT_TRUE(opened);
    return opened ? *opened : OpenedLink{};
  };
  OpenedLink first = open(Share(o));
  OpenedLink again = open(Share(o));
  OpenedLink other = open(Share(o, 319));
  const std::string& pseudonym = first.report.report.name;
  EXPECT_TRUE(pseudonym.starts_with("Candidate ")) << pseudonym;
  EXPECT_EQ(pseudonym.size(), 16u);
  EXPECT_EQ(again.report.report.name, pseudonym);
  EXPECT_NE(other.report.report.name, pseudonym);
  std::string html = service_->LinkHtml(first);
  EXPECT_NE(html.find(pseudonym), std::string::npos);
  for (const std::string& secret :
       {r.name, r.email, std::to_string(*r.candidate_id), r.registration_fields.at(0).value}) {
    EXPECT_EQ(html.find(secret), std::string::npos) << secret;
  }
  // A full link of the same report still shows the name.
  OpenedLink full = open(Share(LinkOptions{}));
  EXPECT_EQ(full.report.report.name, r.name);
}

TEST_F(LinkOptionsTest, LanguageQueryThenLinkThenBrowserThenEnglish) {
  PutA(CompletedReport(318));
  LinkOptions de;
  de.language = Language::kDe;
  std::string with_language = Share(de);
  std::string without = Share(LinkOptions{});
  auto language_of = [&](const std::string& token, std::optional<Language> query,
                         std::optional<Language> browser) {
    Visitor v = Get(LinkFormat::kHtml);
    v.language = query;
    v.browser_language = browser;
    auto opened = service_->OpenLink(token, v);
    EXPECT_TRUE(opened);
    return opened ? opened->language : Language::kEn;
  };
  EXPECT_EQ(language_of(with_language, Language::kFr, Language::kEs), Language::kFr);
  EXPECT_EQ(language_of(with_language, std::nullopt, Language::kEs), Language::kDe);
  EXPECT_EQ(language_of(without, std::nullopt, Language::kEs), Language::kEs);
  EXPECT_EQ(language_of(without, std::nullopt, std::nullopt), Language::kEn);
}

TEST_F(LinkOptionsTest, ThePdfLinkCarriesALanguageFromTheQueryOnly) {
  PutA(CompletedReport(318));
  std::string token = Share(LinkOptions{});
  Visitor v = Get(LinkFormat::kHtml);
  v.browser_language = Language::kPt;
  auto by_browser = service_->OpenLink(token, v);
  ASSERT_TRUE(by_browser);
  EXPECT_NE(service_->LinkHtml(*by_browser).find("href=\"?format=pdf\""), std::string::npos);
  v.language = Language::kHi;
  auto by_query = service_->OpenLink(token, v);
  ASSERT_TRUE(by_query);
  EXPECT_NE(service_->LinkHtml(*by_query).find("href=\"?format=pdf&amp;lang=hi\""),
            std::string::npos);
}

TEST_F(LinkOptionsTest, ListLinksFiltersByRecipientAndState) {
  PutA(CompletedReport(318));
  LinkOptions hm;
  hm.recipient = "hm@acme.example";
  std::string a = Share(hm);
  std::string b = Share(hm);
  LinkOptions once;
  once.recipient = "Hiring panel";
  once.max_views = 1;
  std::string c = Share(once);
  std::string d = Share(LinkOptions{});
  ASSERT_TRUE(service_->RevokeLink(a_, ReportId{318}, ClaimsOf(b).link_id));
  ASSERT_TRUE(service_->OpenLink(c, Get(LinkFormat::kHtml)));  // its one view

  auto ids = [&](const LinkFilter& f) {
    auto links = service_->ListLinks(a_, ReportId{318}, f);
    EXPECT_TRUE(links);
    std::set<LinkId> out;
    for (const LinkRecord& l : links ? *links : std::vector<LinkRecord>{}) out.insert(l.link_id);
    return out;
  };
  auto id = [&](const std::string& t) { return ClaimsOf(t).link_id; };
  LinkFilter by_hm;
  by_hm.recipient = "hm@acme.example";
  EXPECT_EQ(ids(by_hm), (std::set<LinkId>{id(a), id(b)}));
  LinkFilter live;
  live.state = LinkState::kLive;
  EXPECT_EQ(ids(live), (std::set<LinkId>{id(a), id(d)}));
  LinkFilter revoked;
  revoked.state = LinkState::kRevoked;
  EXPECT_EQ(ids(revoked), (std::set<LinkId>{id(b)}));
  LinkFilter expired;
  expired.state = LinkState::kExpired;
  EXPECT_EQ(ids(expired), (std::set<LinkId>{id(c)}));  // out of views
  by_hm.state = LinkState::kLive;
  EXPECT_EQ(ids(by_hm), (std::set<LinkId>{id(a)}));
  clock_.Advance(hours(2));
  EXPECT_EQ(ids(expired), (std::set<LinkId>{id(a), id(c), id(d)}));
  EXPECT_TRUE(ids(live).empty());
}

TEST_F(LinkOptionsTest, ShareManyGivesEveryLinkTheOptions) {
  PutA(CompletedReport(318));
  PutA(CompletedReport(319));
  LinkOptions o;
  o.recipient = "panel";
  o.watermark = true;
  o.language = Language::kAr;
  auto entries = service_->ShareMany(a_, {ReportId{318}, ReportId{319}}, hours(1), o);
  ASSERT_TRUE(entries);
  for (const auto& e : *entries) {
    ASSERT_TRUE(e);
    EXPECT_EQ(StoredLink(e->link_id)->options, o);
  }
}

class LinkOptionsCacheTest : public LinkOptionsTest {
 protected:
  void SetUp() override {
    LinkOptionsTest::SetUp();
    cached_ =
        std::make_unique<ReportService>(*faulty_, *faulty_renderer_, *keys_, clock_,
                                        test_support::kBaseUrl, nullptr, nullptr, &html_cache_);
  }
  void TearDown() override {
    cached_.reset();
    LinkOptionsTest::TearDown();
  }
  std::string Page(const std::string& token, std::optional<Language> language = std::nullopt) {
    Visitor v = Get(LinkFormat::kHtml);
    v.language = language;
    auto opened = cached_->OpenLink(token, v);
    EXPECT_TRUE(opened);
    return opened ? cached_->LinkHtml(*opened) : "";
  }
  PdfCache html_cache_{1 << 20};
  std::unique_ptr<ReportService> cached_;
};

TEST_F(LinkOptionsCacheTest, VariantsNeverShareACachedPage) {
  Report r = CompletedReport(318);
  PutA(r);
  LinkOptions anonymized;
  anonymized.variant = Variant::kAnonymized;
  LinkOptions no_download;
  no_download.allow_download = false;
  std::string full = Share(LinkOptions{});
  std::string anon = Share(anonymized);
  std::string locked = Share(no_download);
  std::string full_page = Page(full);
  std::string anon_page = Page(anon);
  std::string locked_page = Page(locked);
  EXPECT_NE(full_page.find(r.name), std::string::npos);
  EXPECT_EQ(anon_page.find(r.name), std::string::npos);
  EXPECT_NE(full_page.find("class=\"download\""), std::string::npos);
  EXPECT_EQ(locked_page.find("class=\"download\""), std::string::npos);
  // Served again from the cache, each its own.
  EXPECT_EQ(Page(anon), anon_page);
  EXPECT_EQ(Page(full), full_page);
  EXPECT_EQ(Page(locked), locked_page);
  EXPECT_EQ(Page(full, Language::kDe).find("href=\"?format=pdf\""), std::string::npos);
  EXPECT_EQ(html_cache_.entries(), 4u);
}

TEST_F(LinkOptionsCacheTest, AWatermarkedPageIsNeverCached) {
  PutA(CompletedReport(318));
  LinkOptions o;
  o.watermark = true;
  std::string token = Share(o);
  Page(token);
  Page(token);
  EXPECT_EQ(html_cache_.entries(), 0u);
}

}  // namespace
}  // namespace reportshare::service
