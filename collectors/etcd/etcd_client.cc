#include "collectors/etcd/etcd_client.h"

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "collectors/etcd/etcd_parse.h"
#include "collectors/libcurl/libcurl.h"

namespace dse::etcd {
namespace {

constexpr int kGrpcUnauthenticated = 16;

}  // namespace

GatewayClient::GatewayClient(const HostPort& address, const TlsOptions& tls,
                             Credentials credentials, size_t max_reply_bytes)
    : base_url_(HttpBaseUrl(address, tls.enabled)),
      credentials_(std::move(credentials)),
      max_reply_bytes_(max_reply_bytes) {
  // Without the library there is no handle; Exchange then reports why.
  if (!LoadLibCurl().ok()) return;
  CURL* curl = Curl().curl_easy_init();
  curl_ = curl;
  if (curl == nullptr) return;  // Reported by Post.
  // Timeouts without SIGALRM: collectors run on several threads.
  Curl().curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // The address is the member itself, never a proxy's business.
  Curl().curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  Curl().curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendToBoundedBody);
  if (tls.enabled) {
    if (!tls.ca_file.empty()) {
      Curl().curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
    }
    if (!tls.cert_file.empty()) {
      Curl().curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
    }
    if (!tls.key_file.empty()) {
      Curl().curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());
    }
    if (tls.insecure_skip_verify) {
      Curl().curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      Curl().curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }
}

GatewayClient::~GatewayClient() {
  if (curl_ != nullptr) Curl().curl_easy_cleanup(static_cast<CURL*>(curl_));
}

absl::StatusOr<GatewayClient::Reply> GatewayClient::Exchange(
    absl::string_view path, absl::string_view body, bool with_token,
    absl::Time deadline) {
  auto* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    auto library = LoadLibCurl();
    if (!library.ok()) return library.status();
    return absl::ResourceExhaustedError(
        absl::StrCat(path, ": cannot create a curl handle"));
  }
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat(path, ": timed out"));
  }
  // A zero timeout would mean "none" to curl.
  const long timeout_ms =
      std::max<long>(1, static_cast<long>(absl::ToInt64Milliseconds(left)));

  Reply reply;
  BoundedBody reply_body;
  reply_body.limit = max_reply_bytes_;
  char error[CURL_ERROR_SIZE] = "";
  curl_slist* headers =
      Curl().curl_slist_append(nullptr, "Content-Type: application/json");
  std::string authorization;
  if (with_token && !token_.empty()) {
    authorization = absl::StrCat("Authorization: ", token_);
    headers = Curl().curl_slist_append(headers, authorization.c_str());
  }
  const std::string url = absl::StrCat(base_url_, path);
  Curl().curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  Curl().curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  Curl().curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE,
                          static_cast<long>(body.size()));
  Curl().curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply_body);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  Curl().curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  Curl().curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  const CURLcode code = Curl().curl_easy_perform(curl);
  long connects = 0;
  Curl().curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &connects);
  Curl().curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  // Nothing may point at this call's locals once it returns.
  Curl().curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_WRITEDATA, nullptr);
  Curl().curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  Curl().curl_slist_free_all(headers);
  if (connects > 0) reconnected_ = true;

  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(
        absl::StrCat(path, ": timed out after ", timeout_ms, " ms"));
  }
  if (reply_body.too_large) {
    absl::Status too_large = ReplyTooLarge(max_reply_bytes_);
    return absl::Status(too_large.code(),
                        absl::StrCat(path, ": ", too_large.message()));
  }
  reply.body = std::move(reply_body.text);
  if (code != CURLE_OK) {
    return absl::UnavailableError(absl::StrCat(
        path, ": ",
        error[0] != '\0' ? error : Curl().curl_easy_strerror(code)));
  }
  return reply;
}

absl::Status GatewayClient::Authenticate(absl::Time deadline) {
  constexpr absl::string_view kPath = "/v3/auth/authenticate";
  auto password = ReadSecret(credentials_.password);
  if (!password.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("password: ", password.status().message()));
  }
  std::string body;
  try {
    body =
        nlohmann::json{{"name", credentials_.username}, {"password", *password}}
            .dump();
  } catch (const nlohmann::json::exception&) {
    // dump() throws on invalid UTF-8; its message would quote the bytes.
    return absl::InvalidArgumentError(
        absl::StrCat(kPath, ": the username or password is not valid UTF-8"));
  }
  auto reply = Exchange(kPath, body, /*with_token=*/false, deadline);
  if (!reply.ok()) return reply.status();
  if (reply->status != 200) {
    // etcd's message names neither the password nor the user's secrets.
    GatewayError error = ParseGatewayError(reply->body);
    return absl::PermissionDeniedError(
        absl::StrCat(kPath, ": HTTP ", reply->status, ": ", error.message));
  }
  auto token = ParseAuthenticate(reply->body);
  if (!token.ok()) return token.status();
  token_ = *std::move(token);
  return absl::OkStatus();
}

absl::StatusOr<std::string> GatewayClient::Request(absl::string_view path,
                                                   absl::string_view body,
                                                   absl::Time deadline) {
  auto reply = Exchange(path, body, /*with_token=*/true, deadline);
  if (!reply.ok()) return reply.status();
  if (reply->status == 200) return std::move(reply->body);
  GatewayError error = ParseGatewayError(reply->body);
  std::string message =
      absl::StrCat(path, ": HTTP ", reply->status, ": ", error.message);
  if (error.code == kGrpcUnauthenticated) {
    return absl::UnauthenticatedError(message);
  }
  return absl::UnavailableError(message);
}

absl::StatusOr<std::string> GatewayClient::Post(absl::string_view path,
                                                absl::string_view body,
                                                absl::Time deadline) {
  reconnected_ = false;
  if (credentials_.username.empty()) {
    if (!credentials_.password.empty()) {
      return absl::FailedPreconditionError(
          "a password is configured without a username");
    }
    return Request(path, body, deadline);
  }
  const bool fresh_token = token_.empty();
  if (fresh_token) {
    absl::Status authenticated = Authenticate(deadline);
    if (!authenticated.ok()) return authenticated;
  }
  auto reply = Request(path, body, deadline);
  if (reply.ok() || fresh_token || !absl::IsUnauthenticated(reply.status())) {
    return reply;
  }
  // The token expired (simple tokens after --auth-token-ttl of disuse, JWTs
  // after their TTL) or the member restarted: renew it once.
  token_.clear();
  absl::Status authenticated = Authenticate(deadline);
  if (!authenticated.ok()) return authenticated;
  return Request(path, body, deadline);
}

}  // namespace dse::etcd
