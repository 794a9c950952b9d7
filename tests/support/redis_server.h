// Test support: real redis-server processes on free loopback ports.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_SERVER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dse::testing {

class RedisServer {
 public:
  // Starts redis-server without persistence in a folder under `dir`, waits
  // until it answers PING.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(
      const TempDir& dir, const std::vector<std::string>& extra_args = {},
      bool cluster = false);

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Runs one command (2 s timeout); error replies come back as errors.
  absl::StatusOr<std::string> Command(
      const std::vector<std::string>& args) const;
  // A field of INFO, or "" when absent or unreachable.
  std::string InfoField(const std::string& field) const;
  Process& process() { return *process_; }
  // Stops the server and starts it again on the same port with the same
  // arguments (its data is gone: no persistence).
  absl::Status Restart();

 private:
  RedisServer() = default;
  absl::Status Launch();
  std::unique_ptr<Process> process_;
  int port_ = 0;
  std::vector<std::string> argv_;
  std::string log_path_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_SERVER_H_
