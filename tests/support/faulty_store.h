#pragma once

// A store::Store that forwards every call to a real store and fails the calls
// a test chooses the way a store fails when its database is down:
// store::DatabaseUnavailable(), before the real store is touched. It
// drives the tests of the store-failure paths (the open recorder's backoff,
// the import abort, the API's 503s), and its call log shows which store calls
// an operation makes.

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mutex.h"
#include "core/status.h"
#include "store/store.h"

namespace reportshare::test_support {

// The methods of store::Store, to say which one to fail.
enum class StoreMethod {
  kEnsureCompany,
  kInsertApiKey,
  kFindApiKey,
  kListApiKeys,
  kRevokeApiKey,
  kGetReport,
  kGetReportHead,
  kPutReport,
  kPutReports,
  kGetBranding,
  kUpdateBranding,
  kInsertLink,
  kInsertLinks,
  kGetLink,
  kListLinks,
  kRevokeLink,
  kRevokeAllLinks,
  kClaimView,
  kReturnView,
  kPseudonymKey,
  kRecordOpens,
  kListOpens,
  kInsertWebhook,
  kListWebhooks,
  kGetWebhook,
  kDeleteWebhook,
  kInsertEvents,
  kListDeliveries,
  kRetryDelivery,
  kDueWebhooks,
  kClaimDeliveries,
  kFinishAttempts,
  kGetOutboxStats,
  kHasLinks,
  kPing,
};
inline constexpr size_t kStoreMethodCount = static_cast<size_t>(StoreMethod::kPing) + 1;

// The method's name as store.h spells it ("GetReport").
inline std::string_view StoreMethodName(StoreMethod method) {
  static constexpr std::array<std::string_view, kStoreMethodCount> kNames = {
      "EnsureCompany",   "InsertApiKey",   "FindApiKey",     "ListApiKeys",   "RevokeApiKey",
      "GetReport",       "GetReportHead",  "PutReport",      "PutReports",    "GetBranding",
      "UpdateBranding",  "InsertLink",     "InsertLinks",    "GetLink",       "ListLinks",
      "RevokeLink",      "RevokeAllLinks", "ClaimView",      "ReturnView",    "PseudonymKey",
      "RecordOpens",     "ListOpens",      "InsertWebhook",  "ListWebhooks",  "GetWebhook",
      "DeleteWebhook",   "InsertEvents",   "ListDeliveries", "RetryDelivery", "DueWebhooks",
      "ClaimDeliveries", "FinishAttempts", "GetOutboxStats", "HasLinks",      "Ping"};
  return kNames[static_cast<size_t>(method)];
}
inline std::ostream& operator<<(std::ostream& os, StoreMethod method) {
  return os << StoreMethodName(method);
}

// Thread-safe; `inner` must outlive it.
class FaultyStore final : public store::Store {
 public:
  static constexpr int kForever = -1;

  // One call that reached this store, failed or not.
  struct Call {
    StoreMethod method;
    std::chrono::steady_clock::time_point at;  // when it came in
    bool failed;
  };

  explicit FaultyStore(store::Store& inner) : inner_(inner) {}

  // Fails the n-th call from now (1: the next one) whatever its method, and
  // then the `count` - 1 calls after it.
  void FailCall(int64_t n, int64_t count = 1) {
    core::MutexLock lock(mu_);
    fail_from_ = static_cast<int64_t>(calls_.size()) + n;
    fail_until_ = *fail_from_ + count;
  }

  // Fails the next `times` calls of `method`, or every one (kForever).
  void FailMethod(StoreMethod method, int times = kForever) {
    core::MutexLock lock(mu_);
    method_failures_[static_cast<size_t>(method)] = times;
  }

  // Clears every armed fault: from now on every call reaches the real store.
  void Heal() {
    core::MutexLock lock(mu_);
    fail_from_.reset();
    method_failures_.fill(0);
  }

  size_t call_count() const {
    core::MutexLock lock(mu_);
    return calls_.size();
  }
  // The methods of the calls from index `first` on, in order.
  std::vector<StoreMethod> MethodsCalled(size_t first = 0) const {
    core::MutexLock lock(mu_);
    std::vector<StoreMethod> out;
    for (size_t i = first; i < calls_.size(); ++i) out.push_back(calls_[i].method);
    return out;
  }
  // The calls of one method, in order.
  std::vector<Call> CallsOf(StoreMethod method) const {
    core::MutexLock lock(mu_);
    std::vector<Call> out;
    for (const Call& c : calls_) {
      if (c.method == method) out.push_back(c);
    }
    return out;
  }
  int64_t failures() const {
    core::MutexLock lock(mu_);
    return failures_;
  }

  // --- store::Store ---

  Result<CompanyId> EnsureCompany(std::string_view name) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kEnsureCompany));
    return inner_.EnsureCompany(name);
  }
  Status InsertApiKey(CompanyId company, std::string_view key_id,
                      const std::array<uint8_t, 32>& key_hash, Instant created_at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kInsertApiKey));
    return inner_.InsertApiKey(company, key_id, key_hash, created_at);
  }
  Result<std::optional<store::Principal>> FindApiKey(
      const std::array<uint8_t, 32>& key_hash) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kFindApiKey));
    return inner_.FindApiKey(key_hash);
  }
  Result<std::vector<store::ApiKeyInfo>> ListApiKeys() override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kListApiKeys));
    return inner_.ListApiKeys();
  }
  Result<bool> RevokeApiKey(std::string_view key_id, Instant at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kRevokeApiKey));
    return inner_.RevokeApiKey(key_id, at);
  }
  Result<std::optional<StoredReport>> GetReport(ReportId id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kGetReport));
    return inner_.GetReport(id);
  }
  Result<std::optional<store::ReportHead>> GetReportHead(ReportId id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kGetReportHead));
    return inner_.GetReportHead(id);
  }
  Result<store::PutOutcome> PutReport(CompanyId company, const Report& report, Instant at,
                                      std::span<const domain::Event> events) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kPutReport));
    return inner_.PutReport(company, report, at, events);
  }
  Result<std::vector<Result<store::PutOutcome>>> PutReports(CompanyId company,
                                                            std::span<const Report> reports,
                                                            Instant at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kPutReports));
    return inner_.PutReports(company, reports, at);
  }
  Result<Branding> GetBranding(CompanyId company) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kGetBranding));
    return inner_.GetBranding(company);
  }
  Result<Branding> UpdateBranding(CompanyId company, const domain::BrandingChange& change,
                                  Instant at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kUpdateBranding));
    return inner_.UpdateBranding(company, change, at);
  }
  Status InsertLink(const LinkRecord& link) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kInsertLink));
    return inner_.InsertLink(link);
  }
  Status InsertLinks(const std::vector<LinkRecord>& links,
                     std::span<const domain::Event> events) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kInsertLinks));
    return inner_.InsertLinks(links, events);
  }
  Result<std::optional<LinkRecord>> GetLink(const LinkId& id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kGetLink));
    return inner_.GetLink(id);
  }
  Result<std::vector<LinkRecord>> ListLinks(CompanyId company, ReportId report) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kListLinks));
    return inner_.ListLinks(company, report);
  }
  Result<int64_t> RevokeLink(CompanyId company, ReportId report, const LinkId& id,
                             Instant at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kRevokeLink));
    return inner_.RevokeLink(company, report, id, at);
  }
  Result<int64_t> RevokeAllLinks(CompanyId company, ReportId report, Instant at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kRevokeAllLinks));
    return inner_.RevokeAllLinks(company, report, at);
  }
  Result<bool> ClaimView(const LinkId& id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kClaimView));
    return inner_.ClaimView(id);
  }
  Status ReturnView(const LinkId& id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kReturnView));
    return inner_.ReturnView(id);
  }
  Result<std::array<uint8_t, 32>> PseudonymKey(CompanyId company,
                                               const std::array<uint8_t, 32>& fresh) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kPseudonymKey));
    return inner_.PseudonymKey(company, fresh);
  }
  Status RecordOpens(const std::vector<LinkOpen>& opens) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kRecordOpens));
    return inner_.RecordOpens(opens);
  }
  Result<std::vector<LinkOpen>> ListOpens(CompanyId company, ReportId report, const LinkId& id,
                                          int limit) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kListOpens));
    return inner_.ListOpens(company, report, id, limit);
  }
  Status InsertWebhook(const domain::Webhook& webhook) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kInsertWebhook));
    return inner_.InsertWebhook(webhook);
  }
  Result<std::vector<domain::Webhook>> ListWebhooks(CompanyId company) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kListWebhooks));
    return inner_.ListWebhooks(company);
  }
  Result<std::optional<domain::Webhook>> GetWebhook(std::string_view webhook_id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kGetWebhook));
    return inner_.GetWebhook(webhook_id);
  }
  Result<bool> DeleteWebhook(CompanyId company, std::string_view webhook_id) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kDeleteWebhook));
    return inner_.DeleteWebhook(company, webhook_id);
  }
  Status InsertEvents(std::span<const domain::Event> events) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kInsertEvents));
    return inner_.InsertEvents(events);
  }
  Result<std::vector<domain::Delivery>> ListDeliveries(std::string_view webhook_id,
                                                       int limit) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kListDeliveries));
    return inner_.ListDeliveries(webhook_id, limit);
  }
  Status RetryDelivery(std::string_view webhook_id, std::string_view delivery_id,
                       Instant at) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kRetryDelivery));
    return inner_.RetryDelivery(webhook_id, delivery_id, at);
  }
  Result<std::vector<std::string>> DueWebhooks(Instant now, int limit) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kDueWebhooks));
    return inner_.DueWebhooks(now, limit);
  }
  Result<std::vector<store::ClaimedDelivery>> ClaimDeliveries(std::string_view webhook_id,
                                                              Instant now, Instant lease_until,
                                                              std::string_view claim,
                                                              int limit) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kClaimDeliveries));
    return inner_.ClaimDeliveries(webhook_id, now, lease_until, claim, limit);
  }
  Status FinishAttempts(std::span<const store::AttemptResult> results) override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kFinishAttempts));
    return inner_.FinishAttempts(results);
  }
  Result<store::OutboxStats> GetOutboxStats() override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kGetOutboxStats));
    return inner_.GetOutboxStats();
  }
  uint64_t OutboxCommits() const override { return inner_.OutboxCommits(); }
  Result<bool> HasLinks() override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kHasLinks));
    return inner_.HasLinks();
  }
  Status Ping() override {
    RS_RETURN_IF_ERROR(Enter(StoreMethod::kPing));
    return inner_.Ping();
  }

 private:
  // Logs one call of `method` and decides whether it fails.
  Status Enter(StoreMethod method) {
    core::MutexLock lock(mu_);
    const int64_t number = static_cast<int64_t>(calls_.size()) + 1;  // 1-based
    bool fail = fail_from_ && number >= *fail_from_ && number < fail_until_;
    int& left = method_failures_[static_cast<size_t>(method)];
    if (left != 0) {
      fail = true;
      if (left > 0) --left;
    }
    calls_.push_back({method, std::chrono::steady_clock::now(), fail});
    if (!fail) return Status::Ok();
    ++failures_;
    return store::DatabaseUnavailable();
  }

  store::Store& inner_;
  mutable core::Mutex mu_;
  std::vector<Call> calls_ RS_GUARDED_BY(mu_);
  // Calls numbered [fail_from_, fail_until_) fail (1-based, all methods).
  std::optional<int64_t> fail_from_ RS_GUARDED_BY(mu_);
  int64_t fail_until_ RS_GUARDED_BY(mu_) = 0;
  // Per method: calls left to fail; kForever for all; 0 for none.
  std::array<int, kStoreMethodCount> method_failures_ RS_GUARDED_BY(mu_) = {};
  int64_t failures_ RS_GUARDED_BY(mu_) = 0;
};

}  // namespace reportshare::test_support
