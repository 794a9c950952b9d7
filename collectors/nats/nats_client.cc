#include "collectors/nats/nats_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dse::nats {

absl::StatusOr<std::string> MonitorClient::Get(absl::string_view path,
                                               absl::Time deadline) {
  auto reply = http_.Get(path, deadline);
  if (!reply.ok()) {
    return absl::Status(reply.status().code(),
                        absl::StrCat(path, ": ", reply.status().message()));
  }
  if (reply->status != 200) {
    // nats-server answers errors in plain text ("filtered response: not
    // leader"); a page from something else is cut short.
    absl::string_view reason = absl::StripAsciiWhitespace(reply->body);
    return absl::UnavailableError(absl::StrCat(path, ": HTTP ", reply->status,
                                               ": ", reason.substr(0, 200)));
  }
  return std::move(reply->body);
}

}  // namespace dse::nats
