// HTTP GET of a nats-server's monitoring port with libcurl; the only file of
// the "nats" kind doing I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "collectors/libcurl/http_get.h"
#include "exporter/model/target.h"

namespace dse::nats {

class MonitorClient {
 public:
  // Does no I/O: the connection is opened by the first Get. A reply over
  // `max_reply_bytes` fails its call.
  MonitorClient(const HostPort& address, size_t max_reply_bytes)
      : http_(address, max_reply_bytes) {}

  // The body of a 200 reply to GET `path` (e.g. "/varz"). One handle is
  // reused, so the connection is kept open between calls. Bounded by
  // `deadline`; errors start with `path`, e.g. "/varz: timed out after 5 ms"
  // or "/jsz?leader-only=true: HTTP 400: filtered response: not leader".
  absl::StatusOr<std::string> Get(absl::string_view path, absl::Time deadline);

 private:
  KeptHttpGet http_;
};

}  // namespace dse::nats

#endif  // DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_CLIENT_H_
