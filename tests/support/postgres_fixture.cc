#include "tests/support/postgres_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status PostgresFixture::Start(const TempDir& dir) {
  auto primary = PostgresServer::StartPrimary(
      dir, {"cluster_name = 'pg-a'",
            "shared_preload_libraries = 'pg_stat_statements'"});
  if (!primary.ok()) return primary.status();
  servers_[0] = *std::move(primary);
  // Created on the primary, the role and the table reach the standby by
  // replication.
  for (const std::string& sql :
       {absl::StrCat("CREATE ROLE monitor LOGIN PASSWORD '", kPassword,
                     "' IN ROLE pg_monitor"),
        std::string("CREATE TABLE t (x int, padding text)")}) {
    auto done = servers_[0]->Query(sql);
    if (!done.ok()) return done.status();
  }
  auto standby = PostgresServer::StartStandby(dir, *servers_[0]);
  if (!standby.ok()) return standby.status();
  servers_[1] = *std::move(standby);
  addresses_ = {servers_[0]->address(), servers_[1]->address()};
  auto system_identifier =
      servers_[0]->Query("SELECT system_identifier FROM pg_control_system()");
  if (!system_identifier.ok()) return system_identifier.status();
  cluster_id_ = *system_identifier;
  password_file_ =
      absl::StrCat(dir.path(), "/postgres-password-", servers_[0]->port());
  if (!WriteFile(password_file_, absl::StrCat(kPassword, "\n"))) {
    return absl::InternalError("cannot write " + password_file_);
  }
  target_keys_ = absl::StrCat(
      "    username: monitor\n    password_file: ", password_file_, "\n");
  return absl::OkStatus();
}

absl::Status PostgresFixture::Insert(int rows) const {
  return server(primary_)
      .Query(absl::StrCat("INSERT INTO t SELECT g, repeat('x', 100) FROM ",
                          "generate_series(1, ", rows, ") AS g"))
      .status();
}

absl::Status PostgresFixture::WaitForStandby() const {
  auto flushed = servers_[0]->Query("SELECT pg_current_wal_flush_lsn()");
  if (!flushed.ok()) return flushed.status();
  const std::string replayed =
      absl::StrCat("SELECT pg_last_wal_replay_lsn() >= '", *flushed, "'");
  bool caught_up = WaitFor(
      [&] {
        auto done = servers_[1]->Query(replayed);
        return done.ok() && *done == "t";
      },
      absl::Seconds(20));
  if (!caught_up) {
    return absl::DeadlineExceededError(
        absl::StrCat("standby did not replay up to ", *flushed));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PostgresFixture::FailOver() {
  return FailOverByPromotion(1, [&]() -> absl::Status {
    // Not pg_promote()'s own wait: it can outlast Query's statement timeout.
    auto promoted = servers_[1]->Query("SELECT pg_promote(wait => false)");
    if (!promoted.ok()) return promoted.status();
    bool out_of_recovery = WaitFor(
        [&] {
          auto recovering = servers_[1]->Query("SELECT pg_is_in_recovery()");
          return recovering.ok() && *recovering == "f";
        },
        absl::Seconds(60), absl::Milliseconds(100));
    return out_of_recovery ? absl::OkStatus()
                           : absl::DeadlineExceededError(
                                 "the standby is still in recovery");
  });
}

}  // namespace dse::testing
