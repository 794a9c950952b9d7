#include "collectors/replicante/replicante_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/replicante/replicante_mapping.h"

namespace dse::replicante {
namespace {

constexpr size_t kMaxBody = 4 << 20;

struct Body {
  std::string text;
  bool too_large = false;
};

size_t Append(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<Body*>(out);
  if (body->text.size() + size * count > kMaxBody) {
    body->too_large = true;
    return 0;  // Makes curl stop with CURLE_WRITE_ERROR.
  }
  body->text.append(data, size * count);
  return size * count;
}

}  // namespace

AgentClient::AgentClient(std::string username, SecretSource password,
                         std::string ca_file)
    : username_(std::move(username)),
      password_(std::move(password)),
      ca_file_(std::move(ca_file)) {}

AgentClient::~AgentClient() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

absl::StatusOr<std::string> AgentClient::Get(const std::string& url,
                                             absl::Time deadline) {
  // curl_global_init is not thread-safe on every libcurl build; run it once.
  static std::once_flag global_init;
  std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  if (curl_ == nullptr) {
    curl_ = curl_easy_init();
    if (curl_ == nullptr)
      return absl::ResourceExhaustedError("curl: no handle");
  }
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError("timed out");
  }
  const long timeout_ms =
      std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(left)));

  Body body;
  char error[CURL_ERROR_SIZE] = "";
  CURL* curl = curl_;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // Many threads collect.
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // An exporter reaches its targets directly: no proxy from the environment.
  curl_easy_setopt(curl, CURLOPT_PROXY, "");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // Any curl decodes.
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  if (!ca_file_.empty())
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());

  std::string password;
  if (!username_.empty() || !password_.empty()) {
    auto secret = ReadSecret(password_);
    if (!secret.ok()) {
      return absl::FailedPreconditionError(
          absl::StrCat("password: ", secret.status().message()));
    }
    password = *std::move(secret);
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, username_.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, password.c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  // The handle must not keep pointers to this call's locals; curl copies
  // strings it is given, so only these need resetting.
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  if (!password.empty()) curl_easy_setopt(curl, CURLOPT_PASSWORD, "");

  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError("timed out");
  }
  if (body.too_large) {
    return absl::ResourceExhaustedError(
        absl::StrCat("answer larger than ", kMaxBody >> 20, " MiB"));
  }
  if (code != CURLE_OK) {
    return absl::UnavailableError(error[0] != '\0' ? std::string(error)
                                                   : curl_easy_strerror(code));
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return absl::UnavailableError(
        absl::StrCat("HTTP ", status, ": ", ErrorBodyMessage(body.text)));
  }
  return std::move(body.text);
}

}  // namespace dse::replicante
