#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "domain/webhook.h"
#include "store/store.h"

namespace reportshare::service {

// The deliveries list shows this many, newest first (SPEC §7).
inline constexpr int kDeliveriesShown = 100;

// A new webhook as registration answers it: with its secret, shown once.
struct RegisteredWebhook {
  domain::Webhook webhook;
  std::string secret;  // "whsec_…"
};

// The webhook admin use cases of SPEC §7: register, list, delete, test, the
// deliveries list and retry. Writes to the outbox; never sends (that is
// src/webhooks/). Another company's webhook is kNotFound("webhook not
// found"), as a report is. Thread-safe; holds no mutable state.
class WebhookService {
 public:
  // `allow_private`: --webhook-allow-private (registration accepts URLs
  // whose host resolves to a loopback, private or link-local address).
  // `on_events` as ReportService's. References must outlive the service.
  WebhookService(store::Store& store, const Clock& clock, bool allow_private,
                 std::function<void()> on_events = {});

  // kInvalidArgument for a URL the deliverer would refuse (its syntax, or a
  // host that resolves to a forbidden address: resolved here, blocking),
  // kConflict once the company has domain::kMaxWebhooksPerCompany.
  Result<RegisteredWebhook> Register(const store::Principal& who,
                                     const domain::WebhookRegistration& registration) const;
  Result<std::vector<domain::Webhook>> List(const store::Principal& who) const;
  Status Delete(const store::Principal& who, std::string_view webhook_id) const;
  // Queues a webhook.test event for this webhook alone; returns its delivery
  // id. kConflict if the webhook is disabled.
  Result<std::string> Test(const store::Principal& who, std::string_view webhook_id) const;
  Result<std::vector<domain::Delivery>> Deliveries(const store::Principal& who,
                                                   std::string_view webhook_id) const;
  // Makes a delivery due now, whatever its state. kNotFound("delivery not
  // found"), kConflict if the webhook is disabled.
  Status Retry(const store::Principal& who, std::string_view webhook_id,
               std::string_view delivery_id) const;

 private:
  Result<domain::Webhook> Owned(const store::Principal& who, std::string_view webhook_id) const;
  void EventsWritten() const;

  store::Store& store_;
  const Clock& clock_;
  const bool allow_private_;
  const std::function<void()> on_events_;
};

}  // namespace reportshare::service
