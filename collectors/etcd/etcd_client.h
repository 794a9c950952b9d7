// A connection to one etcd member's HTTP/JSON gateway; the only file doing
// etcd I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exporter/model/target.h"

namespace dse::etcd {

struct TlsOptions {
  bool enabled = false;  // https instead of http.
  std::string ca_file;  // CA bundle for the server's certificate ("" = system).
  std::string cert_file;  // Client certificate (PEM), for --client-cert-auth.
  std::string key_file;   // Its key ("" = inside cert_file).
  bool insecure_skip_verify = false;
};

// Credentials for etcd's auth API. Without a username nothing is sent: etcd
// 3.4 serves status and member list to anyone, etcd 3.6 (and 3.5.28+) wants
// an authenticated user for status once auth is enabled.
struct Credentials {
  std::string username;
  SecretSource password;
};

class GatewayClient {
 public:
  // Does no I/O: the connection is opened by the first Post.
  // A reply over `max_reply_bytes` fails its call.
  GatewayClient(const HostPort& address, const TlsOptions& tls,
                Credentials credentials, size_t max_reply_bytes);
  ~GatewayClient();
  GatewayClient(const GatewayClient&) = delete;
  GatewayClient& operator=(const GatewayClient&) = delete;

  // POSTs the JSON `body` to `path` (e.g. "/v3/maintenance/status") and
  // returns the body of a 200 reply. The connection is kept open for the next
  // call (HTTP keep-alive). With a username, authenticates first and keeps the
  // token; a token etcd no longer accepts is renewed once. Every request is
  // bounded by `deadline`; errors start with `path`, e.g.
  // "/v3/maintenance/status: timed out".
  absl::StatusOr<std::string> Post(absl::string_view path,
                                   absl::string_view body, absl::Time deadline);

  // True when the last Post opened a new connection: the member may have
  // restarted since the Post before.
  bool reconnected() const { return reconnected_; }

 private:
  struct Reply {
    long status = 0;
    std::string body;
  };
  absl::StatusOr<Reply> Exchange(absl::string_view path, absl::string_view body,
                                 bool with_token, absl::Time deadline);
  absl::StatusOr<std::string> Request(absl::string_view path,
                                      absl::string_view body,
                                      absl::Time deadline);
  absl::Status Authenticate(absl::Time deadline);

  const std::string base_url_;  // "http://127.0.0.1:2379", no trailing slash.
  const Credentials credentials_;
  const size_t max_reply_bytes_;
  void* curl_ = nullptr;  // CURL*, one per target so connections are reused.
  std::string token_;     // From /v3/auth/authenticate; never logged.
  bool reconnected_ = false;
};

}  // namespace dse::etcd

#endif  // DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_CLIENT_H_
