#include "webhooks/deliverer.h"

#include <algorithm>
#include <sstream>

#include "core/bytes.h"
#include "core/log.h"
#include "webhooks/signature.h"
#include "webhooks/webhook_url.h"

namespace reportshare::webhooks {
namespace {

constexpr std::string_view kChannel = "webhooks";
// Webhooks looked at per poll; the rest wait for the next one.
constexpr int kDueWebhooksPerPoll = 64;

Result<std::string> NewClaim() {
  std::array<uint8_t, 12> raw{};
  if (!core::RandomBytes(raw)) return Status::Internal("random generator failed");
  return core::HexEncode(raw);
}

int64_t UnixSeconds(Instant at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

}  // namespace

std::optional<std::chrono::microseconds> RetryDelay(int64_t attempt,
                                                    std::chrono::microseconds base) {
  if (attempt < 1 || attempt >= kMaxAttempts) return std::nullopt;
  const auto standard = std::chrono::duration_cast<std::chrono::microseconds>(
      kRetrySchedule[static_cast<size_t>(attempt - 1)]);
  const auto first = std::chrono::duration_cast<std::chrono::microseconds>(kRetrySchedule[0]);
  // standard * base / first, in floating point: a 12 h delay times a base in
  // microseconds overflows no integer this way.
  const double scaled = static_cast<double>(standard.count()) * static_cast<double>(base.count()) /
                        static_cast<double>(first.count());
  return std::chrono::microseconds(static_cast<int64_t>(scaled));
}

Deliverer::Deliverer(store::Store& store, const Clock& clock, std::unique_ptr<Sender> sender,
                     DelivererOptions options)
    : store_(store),
      clock_(clock),
      options_(options),
      sender_(std::move(sender)),
      jitter_(std::random_device{}()) {
  thread_ = std::thread([this] { Loop(); });
}

Deliverer::~Deliverer() {
  {
    core::MutexLock lock(mu_);
    stop_ = true;
  }
  cv_.NotifyAll();
  thread_.join();
  // No callback runs once the sender is gone.
  sender_.reset();
  std::vector<store::AttemptResult> results;
  {
    core::MutexLock lock(mu_);
    for (const Finished& f : finished_) {
      started_.erase(f.result.delivery_id);
      results.push_back(f.result);
    }
    const Instant now = clock_.Now();
    for (const auto& [delivery_id, claim_and_webhook] : started_) {
      store::AttemptResult r;
      r.delivery_id = delivery_id;
      r.claim = claim_and_webhook.first;
      r.webhook_id = claim_and_webhook.second;
      r.error = "interrupted: the server stopped";
      r.next_attempt_at = now;
      results.push_back(std::move(r));
    }
  }
  if (!results.empty()) Record(results);
}

void Deliverer::Wake() {
  {
    core::MutexLock lock(mu_);
    woken_ = true;
  }
  cv_.NotifyAll();
}

void Deliverer::Loop() {
  auto last_stats = std::chrono::steady_clock::time_point{};
  for (;;) {
    std::vector<Finished> finished;
    {
      core::MutexLock lock(mu_);
      const auto poll_until = std::chrono::steady_clock::now() + options_.poll_interval;
      auto deadline = poll_until;
      if (next_due_) {
        const auto wait = *next_due_ - clock_.Now();
        deadline = std::min(deadline, std::chrono::steady_clock::now() + wait);
      }
      while (!stop_ && !woken_ && finished_.empty()) {
        if (!cv_.WaitUntil(mu_, deadline)) break;
      }
      if (stop_) return;
      woken_ = false;
      finished.swap(finished_);
      if (next_due_ && *next_due_ <= clock_.Now()) next_due_.reset();
    }
    if (!finished.empty()) {
      std::vector<store::AttemptResult> results;
      results.reserve(finished.size());
      for (const Finished& f : finished) results.push_back(f.result);
      Record(results);
    }
    for (Finished& f : finished) {
      core::MutexLock lock(mu_);
      started_.erase(f.result.delivery_id);
      --in_flight_;
      if (--per_webhook_[f.result.webhook_id] <= 0) per_webhook_.erase(f.result.webhook_id);
      ++outcomes_[{f.type, f.outcome}];
      if (f.result.next_attempt_at && (!next_due_ || *f.result.next_attempt_at < *next_due_)) {
        next_due_ = f.result.next_attempt_at;
      }
    }
    ClaimAndSend(clock_.Now());
    if (std::chrono::steady_clock::now() - last_stats >= std::chrono::seconds(1)) {
      RecordStats();
      last_stats = std::chrono::steady_clock::now();
    }
  }
}

void Deliverer::ClaimAndSend(Instant now) {
  {
    core::MutexLock lock(mu_);
    if (in_flight_ >= options_.max_in_flight) return;
  }
  auto due = store_.DueWebhooks(now, kDueWebhooksPerPoll);
  if (!due) return;  // logged by the store; the next poll tries again
  for (const std::string& webhook_id : *due) {
    int room = 0;
    {
      core::MutexLock lock(mu_);
      auto it = per_webhook_.find(webhook_id);
      const int busy = it == per_webhook_.end() ? 0 : it->second;
      room = std::min(options_.max_per_webhook - busy, options_.max_in_flight - in_flight_);
      if (options_.max_in_flight - in_flight_ <= 0) return;
    }
    if (room <= 0) continue;
    auto claim = NewClaim();
    if (!claim) return;
    const Instant lease_until =
        now + std::chrono::duration_cast<std::chrono::microseconds>(options_.lease);
    auto claimed = store_.ClaimDeliveries(webhook_id, now, lease_until, *claim, room);
    if (!claimed || claimed->empty()) continue;
    auto webhook = store_.GetWebhook(webhook_id);
    if (!webhook) {
      // Claimed but not started: the lease runs out and they are due again.
      continue;
    }
    for (const store::ClaimedDelivery& d : *claimed) {
      if (!*webhook || (*webhook)->disabled_at) {
        // Disabled (or deleted) after the event was written: nothing is sent.
        store::AttemptResult r;
        r.delivery_id = d.delivery_id;
        r.claim = *claim;
        r.webhook_id = webhook_id;
        r.error = "webhook disabled";
        Record({&r, 1});
        continue;
      }
      Start(**webhook, d, *claim);
    }
  }
}

void Deliverer::Start(const domain::Webhook& webhook, const store::ClaimedDelivery& delivery,
                      const std::string& claim) {
  auto url = ParseWebhookUrl(webhook.url);
  const Instant now = clock_.Now();
  {
    core::MutexLock lock(mu_);
    ++in_flight_;
    ++per_webhook_[webhook.webhook_id];
    started_[delivery.delivery_id] = {claim, webhook.webhook_id};
  }
  auto done = [this, webhook_id = webhook.webhook_id, delivery, claim](Outcome outcome) {
    Finished f = Judge(webhook_id, delivery, claim, outcome, clock_.Now());
    {
      core::MutexLock lock(mu_);
      finished_.push_back(std::move(f));
    }
    cv_.NotifyAll();
  };
  if (!url) {
    // Registration checked it; a URL that no longer parses cannot be sent to.
    done(Outcome{std::nullopt, "url is not valid"});
    return;
  }
  Outgoing request;
  request.url = std::move(*url);
  const int64_t timestamp = UnixSeconds(now);
  request.headers = {
      {"webhook-id", delivery.delivery_id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature",
       SignatureHeader(webhook.secret, delivery.delivery_id, timestamp, delivery.body)},
  };
  request.body = delivery.body;
  sender_->Post(std::move(request), std::move(done));
}

Deliverer::Finished Deliverer::Judge(const std::string& webhook_id,
                                     const store::ClaimedDelivery& delivery,
                                     const std::string& claim, const Outcome& outcome, Instant at) {
  Finished f;
  f.type = delivery.type;
  store::AttemptResult& r = f.result;
  r.delivery_id = delivery.delivery_id;
  r.claim = claim;
  r.webhook_id = webhook_id;
  if (outcome.status) r.status = *outcome.status;
  if (outcome.ok()) {
    r.delivered_at = at;
    f.outcome = "delivered";
    return f;
  }
  r.error = outcome.error.empty() ? std::string("failed") : outcome.error;
  if (outcome.status == 410) {
    r.disable_at = at;
    f.outcome = "disabled";
    return f;
  }
  auto delay = RetryDelay(delivery.attempts + 1, options_.retry_base);
  if (!delay) {
    f.outcome = "failed";
    return f;
  }
  double factor = 1.0;
  {
    core::MutexLock lock(mu_);
    factor = std::uniform_real_distribution<double>(0.9, 1.1)(jitter_);
  }
  r.next_attempt_at = at + std::chrono::microseconds(
                               static_cast<int64_t>(static_cast<double>(delay->count()) * factor));
  f.outcome = "retry";
  return f;
}

void Deliverer::Record(std::span<const store::AttemptResult> results) {
  if (Status s = store_.FinishAttempts(results); !s.ok()) {
    // The claims run out and the deliveries are attempted again: at least once.
    core::LogWarning(kChannel, "could not record delivery attempts",
                     {{"count", results.size()}, {"error", s.message()}});
  }
}

void Deliverer::RecordStats() {
  auto stats = store_.GetOutboxStats();
  if (!stats) return;
  pending_.store(stats->pending, std::memory_order_relaxed);
  oldest_pending_us_.store(
      stats->oldest_pending ? stats->oldest_pending->time_since_epoch().count() : -1,
      std::memory_order_relaxed);
}

std::string Deliverer::MetricsText() const {
  std::ostringstream out;
  out << "# HELP reportshare_webhook_deliveries_total Webhook delivery attempts by event type and "
         "outcome (delivered, retry, failed, disabled).\n"
      << "# TYPE reportshare_webhook_deliveries_total counter\n";
  {
    core::MutexLock lock(mu_);
    for (const auto& [key, count] : outcomes_) {
      out << "reportshare_webhook_deliveries_total{event_type=\""
          << domain::EventTypeName(key.first) << "\",outcome=\"" << key.second << "\"} " << count
          << "\n";
    }
  }
  out << "# HELP reportshare_webhook_outbox_pending Deliveries not yet delivered or failed.\n"
      << "# TYPE reportshare_webhook_outbox_pending gauge\n"
      << "reportshare_webhook_outbox_pending " << pending_.load(std::memory_order_relaxed) << "\n";
  const int64_t oldest = oldest_pending_us_.load(std::memory_order_relaxed);
  double age = 0;
  if (oldest >= 0) {
    age = static_cast<double>(clock_.Now().time_since_epoch().count() - oldest) / 1e6;
    age = std::max(age, 0.0);
  }
  out << "# HELP reportshare_webhook_outbox_oldest_age_seconds Age of the oldest pending "
         "delivery (0 when none).\n"
      << "# TYPE reportshare_webhook_outbox_oldest_age_seconds gauge\n"
      << "reportshare_webhook_outbox_oldest_age_seconds " << age << "\n";
  return out.str();
}

}  // namespace reportshare::webhooks
