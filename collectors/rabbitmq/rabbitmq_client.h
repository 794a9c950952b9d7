// HTTP GET of one port of a RabbitMQ node (the management API, the
// Prometheus plugin) with libcurl; the only file of the "rabbitmq" kind doing
// I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collectors/libcurl/http_get.h"
#include "exporter/model/target.h"

namespace dse::rabbitmq {

// HTTP basic authentication. With no username and no password nothing is
// sent (the Prometheus plugin needs none).
struct BasicAuth {
  std::string username;
  SecretSource password;  // Read at every request, never kept.
};

class HttpClient {
 public:
  // Does no I/O: the connection is opened by the first Get. A reply over
  // `max_reply_bytes` fails its call. `name` starts every error ("management
  // API"): a node is read on two ports.
  HttpClient(std::string name, const HostPort& address, BasicAuth auth,
             size_t max_reply_bytes);

  // The body of a 200 reply to GET `path` (e.g. "/api/nodes?columns=name").
  // One handle is reused, so the connection is kept open between calls.
  // Bounded by `deadline`. Errors start with the name and `path`:
  // "management API: /api/queues?...: HTTP 401: ..." (Unauthenticated; 403:
  // PermissionDenied; other statuses and connection failures: Unavailable),
  // "...: timed out after 5 ms" (DeadlineExceeded); they never hold the
  // password.
  absl::StatusOr<std::string> Get(absl::string_view path, absl::Time deadline);

 private:
  const std::string name_;
  const BasicAuth auth_;
  KeptHttpGet http_;
};

}  // namespace dse::rabbitmq

#endif  // DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_CLIENT_H_
