#include "collectors/nats/nats_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/libcurl/libcurl.h"

namespace dse::nats {

MonitorClient::MonitorClient(const HostPort& address, size_t max_reply_bytes)
    : base_url_(HttpBaseUrl(address, /*tls=*/false)),
      max_reply_bytes_(max_reply_bytes) {}

MonitorClient::~MonitorClient() {
  if (curl_ != nullptr) Curl().curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<std::string> MonitorClient::Get(absl::string_view path,
                                               absl::Time deadline) {
  auto fail = [path](absl::StatusCode code, absl::string_view what) {
    return absl::Status(code, absl::StrCat(path, ": ", what));
  };
  auto library = LoadLibCurl();  // Names the library when it is missing.
  if (!library.ok()) return library.status();
  if (curl_ == nullptr) {
    CURL* curl = Curl().curl_easy_init();
    if (curl == nullptr) {
      return fail(absl::StatusCode::kResourceExhausted,
                  "cannot create a curl handle");
    }
    // Timeouts without SIGALRM: collectors run on several threads. The
    // address is the server itself, never a proxy's business.
    Curl().curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    Curl().curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    Curl().curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToBoundedBody);
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
  const CURLcode code = Curl().curl_easy_perform(curl);
  long status = 0;
  Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  // Nothing may point at this call's locals once it returns.
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);

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
    // nats-server answers errors in plain text ("filtered response: not
    // leader"); a page from something else is cut short.
    absl::string_view reason = absl::StripAsciiWhitespace(body.text);
    return fail(absl::StatusCode::kUnavailable,
                absl::StrCat("HTTP ", status, ": ", reason.substr(0, 200)));
  }
  return std::move(body.text);
}

}  // namespace dse::nats
