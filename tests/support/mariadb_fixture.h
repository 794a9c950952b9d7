// Test support: a MariaDB primary and its GTID replica as a DatastoreFixture,
// with the least-privilege exporter user of collectors/mysql/README.md.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_MARIADB_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_MARIADB_FIXTURE_H_

#include <memory>
#include <string>

#include "tests/support/datastore_fixture.h"
#include "tests/support/mariadb_server.h"

namespace dse::testing {

// Node 0 (server id 1) starts as the primary, node 1 (server id 2) as its
// replica. Both have the user exporter@127.0.0.1 (SLAVE MONITOR, password
// kPassword, also in password_file()) and the table app.t (id, v). MySQL has
// no cluster ID of its own: the targets are configured with "db".
class MariaDbFixture : public DatastoreFixture {
 public:
  static constexpr char kPassword[] = "Exp-4c1d8e-unique";

  // A hung node's first scrape times out on the kept connection's query,
  // the next one on connecting anew.
  MariaDbFixture()
      : DatastoreFixture({"mysql",
                          "transactions",
                          {"query: timed out", "connect: timed out"}}) {}
  absl::Status Start(const TempDir& dir) override;
  absl::Status Write() override { return Insert(1); }
  // Stops the primary and makes the replica forget its primary (STOP SLAVE;
  // RESET SLAVE ALL).
  absl::StatusOr<int> FailOver() override;

  MariaDbServer& server(int i) const { return *servers_[i]; }
  const std::string& password_file() const { return password_file_; }
  // The target keys of the exporter user: username and password_file.
  std::string Credentials() const;
  // Inserts `count` rows into app.t on the primary, one transaction each,
  // each statement after `session` (e.g. "SET SESSION gtid_domain_id=1; ").
  absl::Status Insert(int count, const std::string& session = "") const;

 protected:
  void Signal(int i, int signal) override {
    server(i).process().Signal(signal);
  }
  void StopNode(int i) override { server(i).process().Stop(); }

 private:
  std::unique_ptr<MariaDbServer> servers_[2];
  std::string password_file_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_MARIADB_FIXTURE_H_
