#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/mutex.h"
#include "domain/webhook.h"
#include "store/store.h"
#include "webhooks/sender.h"

namespace reportshare::webhooks {

// The delays before retries 1 … 9 (SPEC §7) at the default base of 5 s;
// after the 10th failed attempt a delivery is failed.
inline constexpr std::chrono::seconds kRetrySchedule[] = {
    std::chrono::seconds(5),  std::chrono::seconds(30), std::chrono::minutes(2),
    std::chrono::minutes(10), std::chrono::minutes(30), std::chrono::hours(1),
    std::chrono::hours(3),    std::chrono::hours(6),    std::chrono::hours(12),
};
inline constexpr int64_t kMaxAttempts = std::size(kRetrySchedule) + 1;

// The delay after failed attempt number `attempt` (1-based) with the first
// delay scaled to `base`, before jitter; nullopt after the last attempt.
std::optional<std::chrono::microseconds> RetryDelay(int64_t attempt,
                                                    std::chrono::microseconds base);

struct DelivererOptions {
  // --webhook-retry-base: the first retry's delay, which scales the schedule.
  std::chrono::microseconds retry_base = std::chrono::seconds(5);
  // Attempts at once, in total and to one endpoint (bodies in memory at once
  // are at most max_in_flight).
  int max_in_flight = 64;
  int max_per_webhook = 16;
  // How often the outbox is looked at when nothing wakes the deliverer (for
  // events other nodes wrote, and retries that come due).
  std::chrono::milliseconds poll_interval = std::chrono::milliseconds(1000);
  // How long a claimed attempt is this node's: the sender's timeout and a
  // margin. A node that dies mid-attempt leaves it to others after this.
  std::chrono::milliseconds lease = std::chrono::seconds(15);
};

// Delivers the outbox (SPEC §7): claims due deliveries (Store::ClaimDeliveries,
// so each attempt is made by one node of a cluster), signs them (Standard
// Webhooks), sends them through the Sender, records each attempt, schedules
// the retries with ±10% jitter, and disables a webhook that answers 410.
// Works on its own thread, off every request path; at most max_in_flight
// attempts (and so bodies) are in memory at once. A store failure is logged
// and retried at the next poll; nothing is lost, as the outbox is the
// database. Thread-safe.
class Deliverer {
 public:
  Deliverer(store::Store& store, const Clock& clock, std::unique_ptr<Sender> sender,
            DelivererOptions options);
  // Stops claiming, cancels what is in flight and joins the thread; records
  // the results that came in, and makes each attempt it cut short due again
  // at once ("interrupted: the server stopped"), so the next node to look
  // sends it without waiting for its lease to run out.
  ~Deliverer();

  // Look at the outbox now (events were just written). Never blocks.
  void Wake() RS_EXCLUDES(mu_);

  // Prometheus text: deliveries by event type and outcome, the outbox's
  // pending deliveries and the age of the oldest.
  std::string MetricsText() const RS_EXCLUDES(mu_);

 private:
  struct Finished {
    store::AttemptResult result;
    domain::EventType type;
    std::string outcome;  // "delivered", "retry", "failed", "disabled"
  };

  void Loop() RS_EXCLUDES(mu_);
  // Claims and starts what capacity allows; returns when the outbox next
  // needs a look (a retry this node scheduled), if sooner than a poll.
  void ClaimAndSend(Instant now) RS_EXCLUDES(mu_);
  void Start(const domain::Webhook& webhook, const store::ClaimedDelivery& delivery,
             const std::string& claim) RS_EXCLUDES(mu_);
  Finished Judge(const std::string& webhook_id, const store::ClaimedDelivery& delivery,
                 const std::string& claim, const Outcome& outcome, Instant at) RS_EXCLUDES(mu_);
  // Writes attempts' results (one transaction); a failure is logged.
  void Record(std::span<const store::AttemptResult> results);
  void RecordStats();

  store::Store& store_;
  const Clock& clock_;
  const DelivererOptions options_;
  std::unique_ptr<Sender> sender_;

  mutable core::Mutex mu_;
  core::CondVar cv_;
  bool stop_ RS_GUARDED_BY(mu_) = false;
  bool woken_ RS_GUARDED_BY(mu_) = true;  // the first look at the outbox is at once
  std::vector<Finished> finished_ RS_GUARDED_BY(mu_);
  int in_flight_ RS_GUARDED_BY(mu_) = 0;
  // The attempts started and not yet recorded: delivery id -> its claim and
  // webhook, for the destructor.
  std::map<std::string, std::pair<std::string, std::string>> started_ RS_GUARDED_BY(mu_);
  std::map<std::string, int> per_webhook_ RS_GUARDED_BY(mu_);
  std::optional<Instant> next_due_ RS_GUARDED_BY(mu_);  // the soonest retry scheduled here
  std::mt19937_64 jitter_ RS_GUARDED_BY(mu_);
  // Counts by (event type, outcome), for MetricsText.
  std::map<std::pair<domain::EventType, std::string>, int64_t> outcomes_ RS_GUARDED_BY(mu_);
  std::atomic<int64_t> pending_{0};
  std::atomic<int64_t> oldest_pending_us_{-1};  // since the epoch; -1 when none

  std::thread thread_;
};

}  // namespace reportshare::webhooks
