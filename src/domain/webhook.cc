#include "domain/webhook.h"

#include <boost/json.hpp>

#include <algorithm>

#include "core/bytes.h"
#include "core/json.h"
#include "core/rfc3339.h"

namespace reportshare::domain {
namespace {

namespace json = boost::json;

constexpr std::string_view kEventTypeNames[] = {
    "link.created", "link.viewed", "link.revoked", "link.denied", "report.updated", "webhook.test",
};
static_assert(std::size(kEventTypeNames) == std::size(kEventTypes));

json::value Nullable(const std::optional<std::string>& s) {
  return s ? json::value(*s) : json::value(nullptr);
}

Event MakeEvent(CompanyId company, EventType type, Instant at, json::object data) {
  json::object body;
  body["type"] = EventTypeName(type);
  body["timestamp"] = core::FormatRfc3339Micros(at);
  body["data"] = std::move(data);
  return Event{company, type, at, core::WriteJson(body), std::nullopt, std::nullopt};
}

Result<std::string> RandomHexId(std::string_view prefix, size_t bytes) {
  std::array<uint8_t, 16> raw{};
  if (!core::RandomBytes(std::span<uint8_t>(raw.data(), bytes))) {
    return Status::Internal("random generator failed");
  }
  return std::string(prefix) + core::HexEncode(std::span<const uint8_t>(raw.data(), bytes));
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  return kEventTypeNames[static_cast<size_t>(type)];
}

std::optional<EventType> ParseEventType(std::string_view name) {
  for (EventType type : kEventTypes) {
    if (EventTypeName(type) == name) return type;
  }
  return std::nullopt;
}

std::vector<std::string_view> EventTypeNames(EventMask mask) {
  std::vector<std::string_view> names;
  for (EventType type : kEventTypes) {
    if (mask & EventBit(type)) names.push_back(EventTypeName(type));
  }
  return names;
}

std::string_view DenyReasonName(DenyReason reason) {
  switch (reason) {
    case DenyReason::kExpired:
      return "expired";
    case DenyReason::kRevoked:
      return "revoked";
    case DenyReason::kViewLimit:
      return "view_limit";
    case DenyReason::kDownloadDisabled:
      break;
  }
  return "download_disabled";
}

Event LinkCreatedEvent(const LinkRecord& link, int64_t assessment_id) {
  return MakeEvent(link.company_id, EventType::kLinkCreated, link.created_at,
                   {{"report_id", link.report_id.value},
                    {"assessment_id", assessment_id},
                    {"link_id", link.link_id.ToString()},
                    {"expires_at", core::FormatRfc3339Micros(link.expires_at)},
                    {"recipient", Nullable(link.options.recipient)}});
}

Event LinkViewedEvent(const LinkOpen& open, const OpenEvent& info, int64_t views) {
  return MakeEvent(info.company, EventType::kLinkViewed, open.at,
                   {{"report_id", info.report.value},
                    {"assessment_id", info.assessment_id},
                    {"link_id", open.link_id.ToString()},
                    {"format", info.format},
                    {"views", views},
                    {"first_view", views == 1},
                    {"recipient", Nullable(info.recipient)}});
}

Event LinkDeniedEvent(const LinkOpen& open, const OpenEvent& info) {
  return MakeEvent(info.company, EventType::kLinkDenied, open.at,
                   {{"report_id", info.report.value},
                    {"link_id", open.link_id.ToString()},
                    {"reason", DenyReasonName(info.denied.value_or(DenyReason::kExpired))},
                    {"recipient", Nullable(info.recipient)}});
}

Event LinkRevokedEvent(CompanyId company, ReportId report, const LinkId& link,
                       const std::optional<std::string>& recipient, Instant at) {
  return MakeEvent(company, EventType::kLinkRevoked, at,
                   {{"report_id", report.value},
                    {"link_id", link.ToString()},
                    {"recipient", Nullable(recipient)}});
}

Event ReportUpdatedEvent(CompanyId company, const Report& report, Instant at) {
  return MakeEvent(company, EventType::kReportUpdated, at,
                   {{"report_id", report.report_id.value},
                    {"assessment_id", report.assessment_id},
                    {"invite_status", InviteStatusName(report.invite_status)}});
}

Event WebhookTestEvent(CompanyId company, std::string_view webhook_id, std::string delivery_id,
                       Instant at) {
  Event event = MakeEvent(company, EventType::kWebhookTest, at, {{"webhook_id", webhook_id}});
  event.only_webhook = std::string(webhook_id);
  event.delivery_id = std::move(delivery_id);
  return event;
}

std::vector<Event> OpenEvents(const std::vector<LinkOpen>& opens, const ViewTotals& views_after) {
  // The batch added all its counted opens of a link at once: the first of
  // them was view number total - counted + 1.
  std::map<LinkId, int64_t> counted, seen;
  for (const LinkOpen& open : opens) {
    if (open.counted) ++counted[open.link_id];
  }
  std::vector<Event> events;
  for (const LinkOpen& open : opens) {
    std::optional<int64_t> view;
    if (open.counted) {
      const int64_t k = ++seen[open.link_id];
      if (auto total = views_after.find(open.link_id); total != views_after.end()) {
        view = total->second - counted[open.link_id] + k;
      }
    }
    if (!open.event) continue;
    if (open.event->denied) {
      events.push_back(LinkDeniedEvent(open, *open.event));
    } else if (view) {
      events.push_back(LinkViewedEvent(open, *open.event, *view));
    }
  }
  return events;
}

Result<WebhookRegistration> ParseWebhookRegistration(const json::object& body) {
  static constexpr std::string_view kFields[] = {"url", "events", "description"};
  for (const auto& field : body) {
    if (std::find(std::begin(kFields), std::end(kFields), field.key()) == std::end(kFields)) {
      return Status::InvalidArgument(
          "unknown field in request body; a webhook takes url, events and description");
    }
  }
  WebhookRegistration out;
  const json::value* url = body.if_contains("url");
  if (!url || url->is_null()) return Status::InvalidArgument("url is required");
  if (!url->is_string()) return Status::InvalidArgument("url must be a string");
  out.url = std::string(url->get_string());

  if (const json::value* events = body.if_contains("events"); events && !events->is_null()) {
    std::string names;
    for (EventType type : kEventTypes) {
      names += names.empty() ? "" : ", ";
      names += EventTypeName(type);
    }
    if (!events->is_array()) {
      return Status::InvalidArgument("events must be a list of event types (" + names + ")");
    }
    if (events->get_array().empty()) return Status::InvalidArgument("events must not be empty");
    out.events = 0;
    size_t i = 0;
    for (const json::value& item : events->get_array()) {
      const std::string field = "events[" + std::to_string(i++) + "]";
      if (!item.is_string()) return Status::InvalidArgument(field + " must be a string");
      auto type = ParseEventType(item.get_string());
      if (!type) return Status::InvalidArgument(field + " is not an event type (" + names + ")");
      out.events |= EventBit(*type);
    }
  }

  if (const json::value* d = body.if_contains("description"); d && !d->is_null()) {
    const std::string message = "description must be a string of at most " +
                                std::to_string(kMaxWebhookDescriptionChars) + " characters";
    if (!d->is_string()) return Status::InvalidArgument(message);
    const json::string& text = d->get_string();
    // Characters, not bytes: a parsed JSON string is valid UTF-8.
    const size_t chars = static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
      return (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    }));
    if (chars > kMaxWebhookDescriptionChars) return Status::InvalidArgument(message);
    out.description = std::string(text);
  }
  return out;
}

namespace {

json::value OptionalInstant(const std::optional<Instant>& at) {
  return at ? json::value(core::FormatRfc3339Micros(*at)) : json::value(nullptr);
}

}  // namespace

void AppendWebhookJson(const Webhook& webhook, json::object& out,
                       std::optional<std::string_view> secret) {
  json::array events;
  for (std::string_view name : EventTypeNames(webhook.events)) events.emplace_back(name);
  out["webhook_id"] = webhook.webhook_id;
  out["url"] = webhook.url;
  out["events"] = std::move(events);
  out["description"] = webhook.description;
  if (secret) out["secret"] = *secret;
  out["created_at"] = core::FormatRfc3339Micros(webhook.created_at);
  out["disabled_at"] = OptionalInstant(webhook.disabled_at);
}

void AppendDeliveryJson(const Delivery& d, json::object& out) {
  out["delivery_id"] = d.delivery_id;
  out["event_type"] = EventTypeName(d.type);
  out["state"] = DeliveryStateName(d.state());
  out["created_at"] = core::FormatRfc3339Micros(d.created_at);
  out["attempts"] = d.attempts;
  out["last_status"] = d.last_status ? json::value(*d.last_status) : json::value(nullptr);
  out["last_error"] = d.last_error ? json::value(*d.last_error) : json::value(nullptr);
  out["delivered_at"] = OptionalInstant(d.delivered_at);
  out["next_attempt_at"] = OptionalInstant(d.next_attempt_at);
}

std::string FormatWebhookSecret(std::span<const uint8_t> secret) {
  return "whsec_" + core::Base64Encode(secret);
}

std::string_view DeliveryStateName(DeliveryState state) {
  switch (state) {
    case DeliveryState::kPending:
      return "pending";
    case DeliveryState::kDelivered:
      return "delivered";
    case DeliveryState::kFailed:
      break;
  }
  return "failed";
}

Result<std::string> NewWebhookId() { return RandomHexId("wh_", 12); }
Result<std::string> NewDeliveryId() { return RandomHexId("msg_", 16); }

}  // namespace reportshare::domain
