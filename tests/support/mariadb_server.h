// Test support: real mariadbd processes on free loopback ports, with their
// data directory and unix socket inside a TempDir (never the system socket).
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_MARIADB_SERVER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_MARIADB_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dse::testing {

class MariaDbServer {
 public:
  // Makes a data directory under `dir` (mariadb-install-db, once per test
  // binary, then copied) and starts mariadbd with the binary log and GTID
  // strict mode on; waits until it answers over its socket.
  static absl::StatusOr<std::unique_ptr<MariaDbServer>> Start(
      const TempDir& dir, int server_id,
      const std::vector<std::string>& extra_args = {});

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Runs statements as root over the unix socket (root is authenticated by
  // the unix_socket plugin: the tests run as root). Returns the rows of the
  // last result set, each value as text ("NULL" for NULL).
  absl::StatusOr<std::vector<std::vector<std::string>>> Query(
      const std::string& sql) const;
  // The first value of Query(sql), or "" on error or no rows.
  std::string Value(const std::string& sql) const;

  // Makes this server a GTID replica of `primary` (CHANGE MASTER TO ...
  // MASTER_USE_GTID=slave_pos; START SLAVE), creating the replication user
  // on the primary first.
  absl::Status ReplicateFrom(const MariaDbServer& primary) const;
  // Waits until this replica applied everything in `primary`'s binary log.
  bool CaughtUpWith(const MariaDbServer& primary) const;

  Process& process() { return *process_; }

 private:
  MariaDbServer() = default;
  std::unique_ptr<Process> process_;
  int port_ = 0;
  std::string socket_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_MARIADB_SERVER_H_
