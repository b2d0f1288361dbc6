#include "webhooks/signature.h"

#include "core/bytes.h"

namespace reportshare::webhooks {

std::string SignatureHeader(std::span<const uint8_t> secret, std::string_view msg_id,
                            int64_t timestamp, std::string_view body) {
  std::string content;
  content.reserve(msg_id.size() + body.size() + 24);
  content.append(msg_id).append(".").append(std::to_string(timestamp)).append(".").append(body);
  return "v1," + core::Base64Encode(core::HmacSha256(secret, core::AsBytes(content)));
}

}  // namespace reportshare::webhooks
