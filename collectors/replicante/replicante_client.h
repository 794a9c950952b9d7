// HTTP GET of agent API documents with libcurl; the only file of the
// "replicante" kind doing I/O.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_CLIENT_H_
#define DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "exporter/model/target.h"

namespace dse::replicante {

class AgentClient {
 public:
  // `username`/`password` (basic auth) are sent when either is set; the
  // password is read on every request, never kept. `ca_file` verifies https
  // servers (the system's CAs when empty).
  AgentClient(std::string username, SecretSource password, std::string ca_file,
              size_t max_reply_bytes);
  ~AgentClient();
  AgentClient(const AgentClient&) = delete;
  AgentClient& operator=(const AgentClient&) = delete;

  // The body of a 200 answer to GET `url`. One handle is reused, so the
  // connection is kept alive between calls. Connecting and transferring are
  // bounded by `deadline`; bodies over 4 MiB are refused. Errors say what
  // failed ("timed out", "HTTP 404: unknown target ...") without the URL:
  // callers add the context.
  absl::StatusOr<std::string> Get(const std::string& url, absl::Time deadline);

 private:
  const std::string username_;
  const SecretSource password_;
  const std::string ca_file_;
  const size_t max_reply_bytes_;
  void* curl_ = nullptr;  // CURL*, created on first use.
};

}  // namespace dse::replicante

#endif  // DATASTORE_EXPORTER_COLLECTORS_REPLICANTE_REPLICANTE_CLIENT_H_
