#include "collectors/replicante/replicante_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/libcurl/libcurl.h"
#include "collectors/replicante/replicante_mapping.h"

namespace dse::replicante {
namespace {}  // namespace

AgentClient::AgentClient(std::string username, SecretSource password,
                         std::string ca_file, size_t max_reply_bytes)
    : username_(std::move(username)),
      password_(std::move(password)),
      ca_file_(std::move(ca_file)),
      max_reply_bytes_(max_reply_bytes) {}

AgentClient::~AgentClient() {
  if (curl_ != nullptr) Curl().curl_easy_cleanup(curl_);
}

absl::StatusOr<std::string> AgentClient::Get(const std::string& url,
                                             absl::Time deadline) {
  auto library = LoadLibCurl();  // Also runs curl_global_init, once.
  if (!library.ok()) return library.status();
  if (curl_ == nullptr) {
    curl_ = Curl().curl_easy_init();
    if (curl_ == nullptr)
      return absl::ResourceExhaustedError("curl: no handle");
  }
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("timed out");
  }
  const long timeout_ms =
      std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(left)));

  BoundedBody body;
  body.limit = max_reply_bytes_;
  char error[CURL_ERROR_SIZE] = "";
  CURL* curl = curl_;
  Curl().curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  Curl().curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  Curl().curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  Curl().curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // Many threads collect.
  Curl().curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  Curl().curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // An exporter reaches its targets directly: no proxy from the environment.
  Curl().curl_easy_setopt(curl, CURLOPT_PROXY, "");
  Curl().curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  Curl().curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING,
                          "");  // Any curl decodes.
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToBoundedBody);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  if (!ca_file_.empty())
    Curl().curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());

  std::string password;
  if (!username_.empty() || !password_.empty()) {
    auto secret = ReadSecret(password_);
    if (!secret.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("password: ", secret.status().message()));
    }
    password = *std::move(secret);
    Curl().curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    Curl().curl_easy_setopt(curl, CURLOPT_USERNAME, username_.c_str());
    Curl().curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  const CURLcode code = Curl().curl_easy_perform(curl);
  // The handle must not keep pointers to this call's locals; curl copies
  // strings it is given, so only these need resetting.
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (!password.empty()) Curl().curl_easy_setopt(curl, CURLOPT_PASSWORD, "");

  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError("timed out");
  }
  if (body.too_large) {
    return ReplyTooLarge(max_reply_bytes_);
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(error[0] != '\0'
                                      ? std::string(error)
                                      : Curl().curl_easy_strerror(code));
  }
  long status = 0;
  Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return absl::UnavailableError(
        absl::StrCat("HTTP ", status, ": ", ErrorBodyMessage(body.text)));
  }
  return std::move(body.text);
}

}  // namespace dse::replicante
