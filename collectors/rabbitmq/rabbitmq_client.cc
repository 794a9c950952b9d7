#include "collectors/rabbitmq/rabbitmq_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/libcurl/libcurl.h"

namespace dse::rabbitmq {

HttpClient::HttpClient(std::string name, const HostPort& address,
                       BasicAuth auth, size_t max_reply_bytes)
    : name_(std::move(name)),
      base_url_(HttpBaseUrl(address, /*tls=*/false)),
      auth_(std::move(auth)),
      max_reply_bytes_(max_reply_bytes) {}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) Curl().curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<std::string> HttpClient::Get(absl::string_view path,
                                            absl::Time deadline) {
  auto fail = [this, path](absl::StatusCode code, absl::string_view what) {
    return absl::Status(code, absl::StrCat(name_, ": ", path, ": ", what));
  };
  auto library = LoadLibCurl();  // Names the library when it is missing.
  if (!library.ok()) return library.status();
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
  if (curl_ == nullptr) {
    CURL* curl = Curl().curl_easy_init();
    if (curl == nullptr) {
      return fail(absl::StatusCode::kResourceExhausted,
                  "cannot create a curl handle");
    }
    // Timeouts without SIGALRM: collectors run on several threads. The
    // address is the node itself, never a proxy's business.
    Curl().curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    Curl().curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    Curl().curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToBoundedBody);
    if (authenticate) {
      Curl().curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      Curl().curl_easy_setopt(curl, CURLOPT_USERNAME, auth_.username.c_str());
    }
    curl_ = curl;
  }
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return fail(absl::StatusCode::kDeadlineExceeded, "timed out");
  }
  // A zero timeout would mean "none" to curl.
  const long timeout_ms =
      std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(left)));

  auto* curl = static_cast<CURL*>(curl_);
  BoundedBody body;
  body.limit = max_reply_bytes_;
  char error[CURL_ERROR_SIZE] = "";
  const std::string url = absl::StrCat(base_url_, path);
  Curl().curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  Curl().curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  Curl().curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  if (authenticate) {
    Curl().curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  const CURLcode code = Curl().curl_easy_perform(curl);
  long status = 0;
  Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // Nothing may point at this call's locals once it returns, and the handle
  // keeps no copy of the password between calls.
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (authenticate) Curl().curl_easy_setopt(curl, CURLOPT_PASSWORD, "");

  if (code == CURLE_OPERATION_TIMEDOUT) {
    return fail(absl::StatusCode::kDeadlineExceeded,
                absl::StrCat("timed out after ", timeout_ms, " ms"));
  }
  if (body.too_large) {
    const absl::Status too_large = ReplyTooLarge(max_reply_bytes_);
    return fail(too_large.code(), too_large.message());
  }
  if (code != CURLE_OK) {
    return fail(absl::StatusCode::kUnavailable,
                error[0] != '\0' ? error : Curl().curl_easy_strerror(code));
  }
  if (status != 200) {
    // RabbitMQ answers errors in JSON ({"error":"not_authorized",
    // "reason":"Login failed"}); a page from something else is cut short.
    // The reply is the server's: scrubbed in case it echoes the password.
    const std::string reason = ScrubSecret(
        std::string(absl::StripAsciiWhitespace(body.text).substr(0, 200)),
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
  return std::move(body.text);
}

}  // namespace dse::rabbitmq
