// Test support: real PostgreSQL 15 servers on free loopback ports, run as the
// postgres user (PostgreSQL refuses to run as root): a primary made by initdb
// and streaming standbys made by pg_basebackup -R.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_POSTGRES_SERVER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_POSTGRES_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dse::testing {

class PostgresServer {
 public:
  // Runs initdb in a folder under `dir` and starts the server; waits until it
  // answers. The superuser `postgres` is trusted on loopback; every other
  // role needs its password (scram-sha-256). `settings` are postgresql.conf
  // lines, e.g. "cluster_name = 'pg-a'".
  static absl::StatusOr<std::unique_ptr<PostgresServer>> StartPrimary(
      const TempDir& dir, const std::vector<std::string>& settings = {});
  // Copies `primary` with pg_basebackup -R and starts the copy as a standby;
  // waits until its WAL receiver streams.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> StartStandby(
      const TempDir& dir, const PostgresServer& primary,
      const std::vector<std::string>& settings = {});
  ~PostgresServer();  // Stop().
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  // Runs `sql` as `postgres` on a new connection (5 s timeouts); returns the
  // first column of the last result's first row ("" when NULL or no row).
  absl::StatusOr<std::string> Query(const std::string& sql) const;
  // Fast shutdown (SIGINT: clients are disconnected), then SIGKILL after 15 s.
  void Stop();
  // Sends `signal` to the postmaster and to every process it forked
  // (backends, WAL sender/receiver...), e.g. SIGSTOP to hang the server.
  void SignalAll(int signal) const;
  Process& process() { return *process_; }
  const std::string& log_path() const { return log_path_; }

 private:
  PostgresServer() = default;
  // A server not started yet, on a free port, with its data folder (owned
  // by postgres) under `dir`, returned in `data`.
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Prepare(
      const TempDir& dir, std::string* data);
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      std::unique_ptr<PostgresServer> server, const std::string& data);

  std::unique_ptr<Process> process_;
  int port_ = 0;
  std::string log_path_;
};

// Folder of the PostgreSQL 15 server programs ($DSE_PG_BINDIR, else
// Debian's /usr/lib/postgresql/15/bin); an error saying what to install when
// initdb is not there.
absl::StatusOr<std::string> PostgresBinDir();

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_POSTGRES_SERVER_H_
