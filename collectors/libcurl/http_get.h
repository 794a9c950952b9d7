// One kept HTTP connection for the kinds that GET a node's plain-HTTP
// endpoints (nats, rabbitmq): the handle setup, the deadline, the reply size
// limit and curl's errors, written once. The kinds map statuses and name
// their requests.
#ifndef DATASTORE_EXPORTER_COLLECTORS_LIBCURL_HTTP_GET_H_
#define DATASTORE_EXPORTER_COLLECTORS_LIBCURL_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "exporter/model/target.h"

namespace dse {

struct HttpReply {
  long status = 0;
  std::string body;
};

class KeptHttpGet {
 public:
  // Does no I/O: the connection is opened by the first Get. A reply over
  // `max_reply_bytes` fails its call.
  KeptHttpGet(const HostPort& address, size_t max_reply_bytes);
  ~KeptHttpGet();
  KeptHttpGet(const KeptHttpGet&) = delete;
  KeptHttpGet& operator=(const KeptHttpGet&) = delete;

  // GET `path` (e.g. "/varz") on the kept handle, by `deadline`; with a
  // `username`, basic authentication with `password` (set for this call
  // only: the handle keeps no copy). Any status is a reply. Errors, for the
  // caller to prefix with what it asked: "timed out after 5 ms"
  // (DeadlineExceeded), the reply limit (ResourceExhausted), curl's error
  // (Unavailable), a missing libcurl.
  absl::StatusOr<HttpReply> Get(absl::string_view path, absl::Time deadline,
                                const std::string& username = "",
                                const std::string& password = "");

 private:
  const std::string base_url_;  // "http://127.0.0.1:8222".
  const size_t max_reply_bytes_;
  void* curl_ = nullptr;  // CURL*, created by the first Get.
};

}  // namespace dse

#endif  // DATASTORE_EXPORTER_COLLECTORS_LIBCURL_HTTP_GET_H_
