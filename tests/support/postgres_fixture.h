// Test support: a PostgreSQL 15 primary and its streaming standby as a
// DatastoreFixture, with the least-privilege monitoring role of
// collectors/postgresql/README.md.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_POSTGRES_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_POSTGRES_FIXTURE_H_

#include <memory>
#include <string>

#include "tests/support/datastore_fixture.h"
#include "tests/support/postgres_server.h"

namespace dse::testing {

// Node 0 starts as the primary (cluster_name 'pg-a', pg_stat_statements
// loaded), node 1 as its standby (no cluster_name). Both have the role
// `monitor` (in pg_monitor, password kPassword, also in password_file())
// and the table t (x int, padding text). The cluster ID is the system
// identifier, shared by the primary and its standbys.
class PostgresFixture : public DatastoreFixture {
 public:
  static constexpr char kPassword[] = "Pg-monitor-4c8e1f-unique";

  PostgresFixture() : DatastoreFixture({"postgresql", "bytes"}) {}
  absl::Status Start(const TempDir& dir) override;
  absl::Status Write() override { return Insert(10); }
  // Stops the primary and promotes the standby (pg_promote).
  absl::StatusOr<int> FailOver() override;

  PostgresServer& server(int i) const { return *servers_[i]; }
  const std::string& password_file() const { return password_file_; }
  // Inserts `rows` rows of 100 bytes each into t on the primary.
  absl::Status Insert(int rows) const;
  // Waits (at most 20 s) until the standby replayed all the primary flushed.
  absl::Status WaitForStandby() const;

 protected:
  void Signal(int i, int signal) override { server(i).SignalAll(signal); }
  void StopNode(int i) override { server(i).Stop(); }

 private:
  std::unique_ptr<PostgresServer> servers_[2];
  std::string password_file_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_POSTGRES_FIXTURE_H_
