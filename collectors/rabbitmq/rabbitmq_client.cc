#include "collectors/rabbitmq/rabbitmq_client.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace dse::rabbitmq {

HttpClient::HttpClient(std::string name, const HostPort& address,
                       BasicAuth auth, size_t max_reply_bytes)
    : name_(std::move(name)),
      auth_(std::move(auth)),
      http_(address, max_reply_bytes) {}

absl::StatusOr<std::string> HttpClient::Get(absl::string_view path,
                                            absl::Time deadline) {
  auto fail = [this, path](absl::StatusCode code, absl::string_view what) {
    return absl::Status(code, absl::StrCat(name_, ": ", path, ": ", what));
  };
  const bool authenticate = !auth_.username.empty() || !auth_.password.empty();
  std::string password;
  if (authenticate) {
    // Read at every request, so that a rotated secret file is picked up.
    auto secret = ReadSecret(auth_.password);
    if (!secret.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat(name_, ": password: ", secret.status().message()));
    }
    password = *std::move(secret);
  }
  auto reply = http_.Get(path, deadline, auth_.username, password);
  if (!reply.ok()) return fail(reply.status().code(), reply.status().message());
  const long status = reply->status;
  if (status != 200) {
    // RabbitMQ answers errors in JSON ({"error":"not_authorized",
    // "reason":"Login failed"}); a page from something else is cut short.
    // The reply is the server's: scrubbed in case it echoes the password.
    const std::string reason = ScrubSecret(
        std::string(absl::StripAsciiWhitespace(reply->body).substr(0, 200)),
        password);
    std::string what = absl::StrCat("HTTP ", status);
    if (!reason.empty()) absl::StrAppend(&what, ": ", reason);
    if (status == 401) {
      if (!authenticate) absl::StrAppend(&what, " (no username configured)");
      return fail(absl::StatusCode::kUnauthenticated, what);
    }
    if (status == 403) return fail(absl::StatusCode::kPermissionDenied, what);
    return fail(absl::StatusCode::kUnavailable, what);
  }
  return std::move(reply->body);
}

}  // namespace dse::rabbitmq
