#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace reportshare::webhooks {

// The Standard Webhooks signature of one delivery attempt, as the
// webhook-signature header carries it: "v1," + Base64 of
// HMAC-SHA256(secret, "{msg_id}.{timestamp}.{body}"), where `timestamp` is
// the webhook-timestamp header (Unix seconds).
std::string SignatureHeader(std::span<const uint8_t> secret, std::string_view msg_id,
                            int64_t timestamp, std::string_view body);

}  // namespace reportshare::webhooks
