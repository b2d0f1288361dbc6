#pragma once

// Webhooks and their events (SPEC §7): what a company registers, what the
// outbox holds, and the body of each event. Knows nothing of HTTP or SQL: the
// store writes an Event in the same transaction as its cause, the deliverer
// (src/webhooks/) sends it.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "domain/ids.h"
#include "domain/link_record.h"
#include "domain/report.h"

namespace reportshare::domain {

// The event types, in their canonical order (as lists show them).
enum class EventType : uint8_t {
  kLinkCreated,
  kLinkViewed,
  kLinkRevoked,
  kLinkDenied,
  kReportUpdated,
  kWebhookTest,
};
inline constexpr EventType kEventTypes[] = {
    EventType::kLinkCreated, EventType::kLinkViewed,    EventType::kLinkRevoked,
    EventType::kLinkDenied,  EventType::kReportUpdated, EventType::kWebhookTest,
};

// "link.created", …, "webhook.test".
std::string_view EventTypeName(EventType type);
std::optional<EventType> ParseEventType(std::string_view name);

// A set of event types, one bit per type (bit i is kEventTypes[i]).
using EventMask = uint32_t;
constexpr EventMask EventBit(EventType type) { return EventMask{1} << static_cast<int>(type); }
inline constexpr EventMask kAllEvents = (EventMask{1} << std::size(kEventTypes)) - 1;

// The names of the types in `mask`, in canonical order.
std::vector<std::string_view> EventTypeNames(EventMask mask);

// "link.denied" reasons.
std::string_view DenyReasonName(DenyReason reason);  // "expired", "revoked", …

// One event as the outbox keeps it until every subscribed webhook has it.
struct Event {
  CompanyId company;
  EventType type = EventType::kWebhookTest;
  Instant at;
  // The delivery body, exactly as sent on every attempt:
  // {"type": "...", "timestamp": "<RFC 3339, µs, Z>", "data": {...}}.
  std::string body;
  // Set for webhook.test: delivered to this webhook alone, whatever it
  // subscribed to. Otherwise every active webhook of `company` subscribed to
  // `type` gets a delivery.
  std::optional<std::string> only_webhook;
  // With only_webhook: the id its delivery gets (so the caller can return
  // it); otherwise each delivery gets a fresh one.
  std::optional<std::string> delivery_id;
};

// The events' bodies (SPEC §7's table). None holds a candidate's name or email.
Event LinkCreatedEvent(const LinkRecord& link, int64_t assessment_id);
// `views` counts this view; the first view has views == 1.
Event LinkViewedEvent(const LinkOpen& open, const OpenEvent& info, int64_t views);
Event LinkDeniedEvent(const LinkOpen& open, const OpenEvent& info);
Event LinkRevokedEvent(CompanyId company, ReportId report, const LinkId& link,
                       const std::optional<std::string>& recipient, Instant at);
Event ReportUpdatedEvent(CompanyId company, const Report& report, Instant at);
// REQUIRES: delivery_id from NewDeliveryId().
Event WebhookTestEvent(CompanyId company, std::string_view webhook_id, std::string delivery_id,
                       Instant at);

// Each link's views after a batch of opens was counted.
using ViewTotals = std::map<LinkId, int64_t>;

// The events of a batch of opens, in order: "link.denied" for each open
// whose event says so, "link.viewed" for each counted open with an event of
// a link in `views_after` (its views numbered up to the link's total).
std::vector<Event> OpenEvents(const std::vector<LinkOpen>& opens, const ViewTotals& views_after);

// The most webhooks one company may register.
inline constexpr size_t kMaxWebhooksPerCompany = 20;
inline constexpr size_t kMaxWebhookDescriptionChars = 500;

// A registered endpoint.
struct Webhook {
  std::string webhook_id;  // "wh_" + 24 lower-case hex characters
  CompanyId company;
  std::string url;
  EventMask events = kAllEvents;
  std::string description;
  std::array<uint8_t, 32> secret{};  // shown once, as "whsec_" + Base64
  Instant created_at;
  std::optional<Instant> disabled_at;  // set when the receiver answered 410
};

// What a registration asks for (POST /assessments/webhooks).
struct WebhookRegistration {
  std::string url;  // checked further by the deliverer's rules (webhooks/webhook_url.h)
  EventMask events = kAllEvents;
  std::string description;
};

// The registration body: {"url": string, "events": [type, …] (optional,
// default all), "description": string (optional, at most
// kMaxWebhookDescriptionChars characters)}. Any other field, a wrong type,
// an empty or unknown event type is kInvalidArgument naming the field.
Result<WebhookRegistration> ParseWebhookRegistration(const boost::json::object& body);

// "whsec_" + standard Base64 of the secret (the Standard Webhooks form).
std::string FormatWebhookSecret(std::span<const uint8_t> secret);

enum class DeliveryState { kPending, kDelivered, kFailed };
std::string_view DeliveryStateName(DeliveryState state);  // "pending", "delivered", "failed"

// One event on its way to one webhook.
struct Delivery {
  std::string delivery_id;  // "msg_" + 32 lower-case hex: the webhook-id header
  std::string webhook_id;
  EventType type = EventType::kWebhookTest;
  Instant created_at;
  int64_t attempts = 0;
  std::optional<int64_t> last_status;
  std::optional<std::string> last_error;
  std::optional<Instant> delivered_at;
  std::optional<Instant> next_attempt_at;  // nullopt once delivered or failed

  DeliveryState state() const {
    if (next_attempt_at) return DeliveryState::kPending;
    return delivered_at ? DeliveryState::kDelivered : DeliveryState::kFailed;
  }
};

// The webhook as the API shows it: webhook_id, url, events, description,
// (`secret`, only when registering), created_at, disabled_at.
void AppendWebhookJson(const Webhook& webhook, boost::json::object& out,
                       std::optional<std::string_view> secret = std::nullopt);
// A delivery as the deliveries list shows it.
void AppendDeliveryJson(const Delivery& delivery, boost::json::object& out);

// A fresh random id: "wh_…" or "msg_…". kInternal if the generator fails.
Result<std::string> NewWebhookId();
Result<std::string> NewDeliveryId();

}  // namespace reportshare::domain
