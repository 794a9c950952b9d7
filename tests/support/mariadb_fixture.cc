#include "tests/support/mariadb_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status MariaDbFixture::Start(const TempDir& dir) {
  for (int i = 0; i < 2; ++i) {
    auto server = MariaDbServer::Start(dir, i + 1);
    if (!server.ok()) return server.status();
    servers_[i] = *std::move(server);
  }
  // Created on the primary only: they reach the replica by replication.
  auto created = servers_[0]->Query(absl::StrCat(
      "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY '", kPassword,
      "'; GRANT SLAVE MONITOR ON *.* TO exporter@'127.0.0.1'; "
      "CREATE DATABASE app; "
      "CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v INT)"));
  if (!created.ok()) return created.status();
  absl::Status replicating = servers_[1]->ReplicateFrom(*servers_[0]);
  if (!replicating.ok()) return replicating;
  absl::Status written = Insert(10);
  if (!written.ok()) return written;
  if (!servers_[1]->CaughtUpWith(*servers_[0])) {
    return absl::DeadlineExceededError("replica did not catch up");
  }
  password_file_ =
      absl::StrCat(dir.path(), "/mariadb-password-", servers_[0]->port());
  if (!WriteFile(password_file_, absl::StrCat(kPassword, "\n"))) {
    return absl::InternalError("cannot write " + password_file_);
  }
  addresses_ = {servers_[0]->address(), servers_[1]->address()};
  cluster_id_ = "db";
  target_keys_ = "    cluster_id: db\n" + Credentials();
  return absl::OkStatus();
}

absl::Status MariaDbFixture::Insert(int count,
                                    const std::string& session) const {
  for (int i = 0; i < count; ++i) {
    auto inserted = server(primary_).Query(
        absl::StrCat(session, "INSERT INTO app.t (v) VALUES (", i, ")"));
    if (!inserted.ok()) return inserted.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<int> MariaDbFixture::FailOver() {
  return FailOverByPromotion(1, [&] {
    return servers_[1]->Query("STOP SLAVE; RESET SLAVE ALL").status();
  });
}

std::string MariaDbFixture::Credentials() const {
  return absl::StrCat(
      "    username: exporter\n    password_file: ", password_file_, "\n");
}

}  // namespace dse::testing
