#include "service/webhook_service.h"

#include "core/bytes.h"
#include "webhooks/address_guard.h"
#include "webhooks/webhook_url.h"

namespace reportshare::service {
namespace {

Status WebhookNotFound() { return Status::NotFound("webhook not found"); }

Status CheckActive(const domain::Webhook& webhook) {
  if (!webhook.disabled_at) return Status::Ok();
  return Status::Conflict(
      "this webhook is disabled (its endpoint answered 410 Gone); register the endpoint again");
}

}  // namespace

WebhookService::WebhookService(store::Store& store, const Clock& clock, bool allow_private,
                               std::function<void()> on_events)
    : store_(store),
      clock_(clock),
      allow_private_(allow_private),
      on_events_(std::move(on_events)) {}

Result<RegisteredWebhook> WebhookService::Register(
    const store::Principal& who, const domain::WebhookRegistration& registration) const {
  auto url = webhooks::ParseWebhookUrl(registration.url);
  if (!url) return url.error();
  auto existing = store_.ListWebhooks(who.company_id);
  if (!existing) return existing.error();
  if (existing->size() >= domain::kMaxWebhooksPerCompany) {
    return Status::Conflict("a company may register at most " +
                            std::to_string(domain::kMaxWebhooksPerCompany) +
                            " webhooks; delete one first");
  }
  // Resolved last: the slowest check, and the only one that waits on the network.
  RS_RETURN_IF_ERROR(webhooks::CheckWebhookHost(*url, allow_private_));

  auto id = domain::NewWebhookId();
  if (!id) return id.error();
  domain::Webhook webhook;
  webhook.webhook_id = std::move(*id);
  webhook.company = who.company_id;
  webhook.url = registration.url;
  webhook.events = registration.events;
  webhook.description = registration.description;
  if (!core::RandomBytes(webhook.secret)) return Status::Internal("random generator failed");
  webhook.created_at = clock_.Now();
  RS_RETURN_IF_ERROR(store_.InsertWebhook(webhook));
  std::string secret = domain::FormatWebhookSecret(webhook.secret);
  return RegisteredWebhook{std::move(webhook), std::move(secret)};
}

Result<std::vector<domain::Webhook>> WebhookService::List(const store::Principal& who) const {
  return store_.ListWebhooks(who.company_id);
}

Status WebhookService::Delete(const store::Principal& who, std::string_view webhook_id) const {
  auto deleted = store_.DeleteWebhook(who.company_id, webhook_id);
  if (!deleted) return deleted.error();
  return *deleted ? Status::Ok() : WebhookNotFound();
}

Result<std::string> WebhookService::Test(const store::Principal& who,
                                         std::string_view webhook_id) const {
  auto webhook = Owned(who, webhook_id);
  if (!webhook) return webhook.error();
  RS_RETURN_IF_ERROR(CheckActive(*webhook));
  auto delivery_id = domain::NewDeliveryId();
  if (!delivery_id) return delivery_id.error();
  const domain::Event event =
      domain::WebhookTestEvent(who.company_id, webhook_id, *delivery_id, clock_.Now());
  RS_RETURN_IF_ERROR(store_.InsertEvents({&event, 1}));
  EventsWritten();
  return std::move(*delivery_id);
}

Result<std::vector<domain::Delivery>> WebhookService::Deliveries(
    const store::Principal& who, std::string_view webhook_id) const {
  auto webhook = Owned(who, webhook_id);
  if (!webhook) return webhook.error();
  return store_.ListDeliveries(webhook_id, kDeliveriesShown);
}

Status WebhookService::Retry(const store::Principal& who, std::string_view webhook_id,
                             std::string_view delivery_id) const {
  auto webhook = Owned(who, webhook_id);
  if (!webhook) return webhook.error();
  RS_RETURN_IF_ERROR(CheckActive(*webhook));
  RS_RETURN_IF_ERROR(store_.RetryDelivery(webhook_id, delivery_id, clock_.Now()));
  EventsWritten();
  return Status::Ok();
}

Result<domain::Webhook> WebhookService::Owned(const store::Principal& who,
                                              std::string_view webhook_id) const {
  auto found = store_.GetWebhook(webhook_id);
  if (!found) return found.error();
  if (!*found || (*found)->company != who.company_id) return WebhookNotFound();
  return std::move(**found);
}

void WebhookService::EventsWritten() const {
  if (on_events_) on_events_();
}

}  // namespace reportshare::service
