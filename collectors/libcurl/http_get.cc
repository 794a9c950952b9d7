#include "collectors/libcurl/http_get.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/libcurl/libcurl.h"

namespace dse {

KeptHttpGet::KeptHttpGet(const HostPort& address, size_t max_reply_bytes)
    : base_url_(HttpBaseUrl(address, /*tls=*/false)),
      max_reply_bytes_(max_reply_bytes) {}

KeptHttpGet::~KeptHttpGet() {
  if (curl_ != nullptr) Curl().curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<HttpReply> KeptHttpGet::Get(absl::string_view path,
                                           absl::Time deadline,
                                           const std::string& username,
                                           const std::string& password) {
  auto library = LoadLibCurl();  // Names the library when it is missing.
  if (!library.ok()) return library.status();
  if (curl_ == nullptr) {
    CURL* curl = Curl().curl_easy_init();
    if (curl == nullptr) {
      return absl::ResourceExhaustedError("cannot create a curl handle");
    }
    // Timeouts without SIGALRM: collectors run on several threads. The
    // address is the node itself, never a proxy's business.
    Curl().curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    Curl().curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    Curl().curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToBoundedBody);
    curl_ = curl;
  }
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("timed out");
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
  const bool authenticate = !username.empty();
  if (authenticate) {
    Curl().curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    Curl().curl_easy_setopt(curl, CURLOPT_USERNAME, username.c_str());
    Curl().curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  const CURLcode code = Curl().curl_easy_perform(curl);
  HttpReply reply;
  Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  // Nothing may point at this call's locals once it returns, and the handle
  // keeps no copy of the credentials between calls.
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (authenticate) {
    Curl().curl_easy_setopt(curl, CURLOPT_PASSWORD, "");
    Curl().curl_easy_setopt(curl, CURLOPT_USERNAME, "");
    Curl().curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_NONE);
  }

  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(
        absl::StrCat("timed out after ", timeout_ms, " ms"));
  }
  if (body.too_large) return ReplyTooLarge(max_reply_bytes_);
  if (code != CURLE_OK) {
    return absl::UnavailableError(
        error[0] != '\0' ? error : Curl().curl_easy_strerror(code));
  }
  reply.body = std::move(body.text);
  return reply;
}

}  // namespace dse
