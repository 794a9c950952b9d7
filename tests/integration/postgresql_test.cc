// End-to-end tests of the exporter binary against a real PostgreSQL 15
// primary and its streaming standby (initdb + pg_basebackup -R) on free
// loopback ports, run as the postgres user.
#include <sys/stat.h>

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/postgres_server.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

constexpr const char* kPassword = PostgresFixture::kPassword;

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra = "") {
  return TargetBlock(name, "postgresql", address,
                     std::string("    username: monitor\n") + extra);
}

double LagOf(const std::vector<Sample>& samples, const std::string& target,
             const std::string& unit) {
  return ValueOf(samples, "datastore_shard_replication_lag",
                 {{"target", target}, {"unit", unit}});
}

double OffsetOf(const std::vector<Sample>& samples, const std::string& target) {
  return ValueOf(samples, "datastore_shard_commit_offset",
                 {{"target", target}, {"unit", "bytes"}});
}

// A query's value, or the error as text (so that a comparison shows it).
std::string Text(const absl::StatusOr<std::string>& result) {
  return result.ok() ? *result
                     : absl::StrCat("error: ", result.status().message());
}

double Number(const absl::StatusOr<std::string>& text) {
  double value = NAN;
  if (!text.ok() || !absl::SimpleAtod(*text, &value)) return NAN;
  return value;
}

// A primary ("pg-a") and its standby; what every kind shows (roles, the
// shared cluster ID, offsets after a write, hung and stopped nodes,
// failover) is in cross_kind_test.cc.
class PostgresPairTest : public DatastoreTest<PostgresFixture> {
 protected:
  PostgresPairTest() : DatastoreTest({"primary", "standby"}) {}

  PostgresServer& primary() { return topology_.server(0); }
  PostgresServer& standby() { return topology_.server(1); }

  void Write(int rows) { ASSERT_TRUE(topology_.Insert(rows).ok()); }
  void WaitForStandby() {
    absl::Status caught_up = topology_.WaitForStandby();
    ASSERT_TRUE(caught_up.ok()) << caught_up;
  }
};

TEST_F(PostgresPairTest, NodeNamesVersionOffsetsAndLags) {
  Write(100);
  WaitForStandby();
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::string raw;
  std::vector<Sample> samples = exporter->Scrape(&raw);

  auto primary_info =
      Select(samples, "datastore_info", {{"target", "primary"}});
  auto standby_info =
      Select(samples, "datastore_info", {{"target", "standby"}});
  ASSERT_EQ(primary_info.size(), 1u) << exporter->Logs();
  ASSERT_EQ(standby_info.size(), 1u);
  // Node: cluster_name when set, else the configured name.
  EXPECT_EQ(primary_info[0].labels["node"], "pg-a");
  EXPECT_EQ(standby_info[0].labels["node"], "standby");
  EXPECT_THAT(primary_info[0].labels["version"], MatchesRegex("15\\.[0-9]+"));

  // Offsets in bytes: the caught-up standby is where the primary is.
  auto flushed =
      primary().Query("SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn");
  EXPECT_GT(OffsetOf(samples, "primary"), 0);
  EXPECT_LE(OffsetOf(samples, "primary"), Number(flushed));
  EXPECT_GT(OffsetOf(samples, "standby"), 0);
  EXPECT_LE(OffsetOf(samples, "standby"), OffsetOf(samples, "primary"));
  // Lags: the standby's in bytes and seconds, none for the primary.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag",
                     {{"target", "primary"}})
                  .empty());
  EXPECT_GE(LagOf(samples, "standby", "bytes"), 0);
  EXPECT_GE(LagOf(samples, "standby", "seconds"), 0);

  // What we serve passes promtool's lint.
  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

TEST_F(PostgresPairTest, IdleCaughtUpStandbyHasNoGrowingDelay) {
  Write(100);
  WaitForStandby();
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  // Idle: the last replayed commit ages, which is what
  // now() - pg_last_xact_replay_timestamp() reports as a growing delay.
  double naive = 0;
  std::vector<Sample> samples;
  ASSERT_TRUE(WaitFor(
      [&] {
        naive =
            Number(standby().Query("SELECT extract(epoch FROM now() - "
                                   "pg_last_xact_replay_timestamp())"));
        samples = exporter->Scrape();
        return naive > 2.5;
      },
      absl::Seconds(10), absl::Milliseconds(500)));
  EXPECT_EQ(LagOf(samples, "standby", "seconds"), 0) << "naive delay " << naive;
  EXPECT_EQ(LagOf(samples, "standby", "bytes"), 0);
  EXPECT_EQ(RoleOf(samples, "standby"), "secondary");
}

TEST_F(PostgresPairTest, PausedStandbyShowsGrowingByteLag) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  // Until the standby replays a commit the delay in seconds is unknown when
  // there is WAL to replay; one replayed commit makes it known.
  Write(10);
  WaitForStandby();
  ASSERT_TRUE(standby().Query("SELECT pg_wal_replay_pause()").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        return Text(standby().Query(
                   "SELECT pg_get_wal_replay_pause_state()")) == "paused";
      },
      absl::Seconds(10)));
  std::vector<Sample> before = exporter->Scrape();
  double lag = LagOf(before, "standby", "bytes");
  const double offset = OffsetOf(before, "standby");
  ASSERT_FALSE(std::isnan(lag));
  for (int round = 0; round < 3; ++round) {
    Write(1000);  // About 150 kB of WAL.
    auto flushed = primary().Query("SELECT pg_current_wal_flush_lsn()");
    ASSERT_TRUE(flushed.ok());
    // The standby receives it but does not replay it.
    ASSERT_TRUE(WaitFor(
        [&] {
          return Text(standby().Query(
                     absl::StrCat("SELECT pg_last_wal_receive_lsn() >= '",
                                  *flushed, "'"))) == "t";
        },
        absl::Seconds(20)));
    std::vector<Sample> samples = exporter->Scrape();
    const double grown = LagOf(samples, "standby", "bytes");
    EXPECT_GT(grown, lag + 100000) << "round " << round;
    lag = grown;
    EXPECT_EQ(OffsetOf(samples, "standby"), offset);  // Nothing replayed.
    EXPECT_EQ(RoleOf(samples, "standby"), "secondary");
    EXPECT_GT(LagOf(samples, "standby", "seconds"), 0);
  }
  ASSERT_TRUE(standby().Query("SELECT pg_wal_replay_resume()").ok());
  EXPECT_TRUE(WaitFor(
      [&] {
        std::vector<Sample> samples = exporter->Scrape();
        return LagOf(samples, "standby", "bytes") == 0 &&
               LagOf(samples, "standby", "seconds") == 0;
      },
      absl::Seconds(20)));
}

TEST_F(PostgresPairTest, PromotedStandbyHasNoLagAndKeepsItsOffset) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> before = exporter->Scrape();
  ASSERT_EQ(RoleOf(before, "standby"), "secondary");

  ASSERT_TRUE(topology_.FailOver().ok());
  std::vector<Sample> samples = exporter->Scrape();
  EXPECT_EQ(RoleOf(samples, "standby"), "primary");
  EXPECT_GE(OffsetOf(samples, "standby"), OffsetOf(before, "standby"));
  // Out of recovery, a node has no replication lag.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag",
                     {{"target", "standby"}})
                  .empty());
}

TEST_F(PostgresPairTest, StandbyOfALostPrimaryIsRecoveringWithoutLag) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  ASSERT_EQ(
      ValueOf(exporter->Scrape(), "datastore_up", {{"target", "standby"}}), 1);

  // The primary goes away: the standby has no WAL receiver streaming.
  primary().Stop();
  std::vector<Sample> samples;
  ASSERT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        return RoleOf(samples, "standby") == "recovering";
      },
      absl::Seconds(10)));
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "primary"}}), 0);
  // Unknown, hence absent: it cannot tell what it is missing.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag",
                     {{"target", "standby"}})
                  .empty());
  EXPECT_GT(OffsetOf(samples, "standby"), 0);
  EXPECT_THAT(exporter->Logs(), HasSubstr("Connection refused"));
}

TEST_F(PostgresPairTest, ConnectionClosedByTheServerIsReopenedWithinTheScrape) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  ASSERT_EQ(
      ValueOf(exporter->Scrape(), "datastore_up", {{"target", "primary"}}), 1);
  // As a restart, idle_session_timeout or a proxy would.
  ASSERT_EQ(Text(primary().Query("SELECT count(pg_terminate_backend(pid)) FROM "
                                 "pg_stat_activity WHERE application_name = "
                                 "'datastore_exporter'")),
            "1");
  EXPECT_EQ(
      ValueOf(exporter->Scrape(), "datastore_up", {{"target", "primary"}}), 1);
  EXPECT_THAT(exporter->Logs(), Not(HasSubstr("target is down")));
}

TEST_F(PostgresPairTest, OneQueryPerScrape) {
  ASSERT_TRUE(primary().Query("CREATE EXTENSION pg_stat_statements").ok());
  auto exporter = ExporterProcess::Start(
      dir_, absl::StrCat("targets:\n", topology_.TargetYaml(0, "primary")));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  ASSERT_TRUE(primary().Query("SELECT pg_stat_statements_reset()").ok());
  constexpr int kScrapes = 20;
  for (int i = 0; i < kScrapes; ++i) {
    ASSERT_EQ(
        ValueOf((*exporter)->Scrape(), "datastore_up", {{"target", "primary"}}),
        1);
  }
  // Every statement the monitor role ran, as the server counted them.
  EXPECT_EQ(Text(primary().Query("SELECT sum(calls) FROM pg_stat_statements "
                                 "WHERE userid = 'monitor'::regrole")),
            std::to_string(kScrapes));
  EXPECT_EQ(Text(primary().Query("SELECT count(*) FROM pg_stat_statements "
                                 "WHERE userid = 'monitor'::regrole")),
            "1");
  // One kept connection, not one per scrape.
  EXPECT_EQ(
      Text(primary().Query("SELECT count(*) FROM pg_stat_activity "
                           "WHERE usename = 'monitor' AND application_name = "
                           "'datastore_exporter'")),
      "1");
}

TEST_F(PostgresPairTest, PasswordSourcesAndWrongPasswordNeverShown) {
  const std::string wrong = "Wrong-pg-9d2e71-unique";
  std::string bad_file = dir_.path() + "/bad";
  ASSERT_TRUE(WriteFile(bad_file, wrong + "\n"));
  // libpq ignores a .pgpass that others can read.
  std::string pgpass = dir_.path() + "/pgpass";
  ASSERT_TRUE(WriteFile(pgpass, absl::StrCat("127.0.0.1:", primary().port(),
                                             ":*:monitor:", kPassword, "\n")));
  ASSERT_EQ(chmod(pgpass.c_str(), 0600), 0);
  std::string config =
      absl::StrCat("targets:\n", topology_.TargetYaml(0, "good"),
                   TargetYaml("bad", primary().address(),
                              "    password_file: " + bad_file + "\n"),
                   TargetYaml("env", primary().address(),
                              "    password_env: DSE_TEST_PG_PASSWORD\n"),
                   TargetYaml("pgpass", primary().address(),
                              "    options:\n      passfile: " + pgpass +
                                  "\n      sslmode: disable\n"));
  auto exporter = ExporterProcess::Start(
      dir_, config, {"--log.level=debug"},
      {std::string("DSE_TEST_PG_PASSWORD=") + kPassword});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::string raw;
  std::vector<Sample> samples = (*exporter)->Scrape(&raw);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "good"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "env"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "pgpass"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "bad"}}), 0);
  EXPECT_EQ(ValueOf(samples, "datastore_exporter_collection_errors_total",
                    {{"target", "bad"}, {"reason", "auth"}}),
            1);
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("target=bad"));
  EXPECT_THAT(logs, HasSubstr("password authentication failed for user"));
  HttpResult page = HttpFetch((*exporter)->url("/"));
  EXPECT_THAT(page.body, HasSubstr("password authentication failed"));
  EXPECT_EQ(WhereSecretsShow(**exporter, raw, {kPassword, wrong}), "");
}

TEST_F(PostgresPairTest, ProbeModuleNeedsNoClusterId) {
  auto exporter = ExporterProcess::Start(
      dir_, absl::StrCat("modules:\n  pg:\n    kind: postgresql\n"
                         "    username: monitor\n    password_file: ",
                         topology_.password_file(),
                         "\n    allowed_targets: [\"127.0.0.1:*\"]\n"));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  auto system_identifier =
      primary().Query("SELECT system_identifier FROM pg_control_system()");
  ASSERT_TRUE(system_identifier.ok()) << system_identifier.status();
  for (const auto& [server, role] :
       {std::pair{&primary(), "primary"}, std::pair{&standby(), "secondary"}}) {
    const std::string address = server->address();
    HttpResult result =
        HttpFetch((*exporter)->url("/probe?target=" + address + "&module=pg"));
    EXPECT_EQ(result.status, 200) << result.body;
    std::vector<Sample> samples = ParseExposition(result.body);
    EXPECT_EQ(ValueOf(samples, "datastore_up",
                      {{"target", address}, {"kind", "postgresql"}}),
              1)
        << (*exporter)->Logs();
    EXPECT_EQ(RoleOf(samples, address), role);
    EXPECT_EQ(Select(samples, "datastore_info",
                     {{"target", address}, {"cluster_id", *system_identifier}})
                  .size(),
              1u);
  }
}

TEST(PostgresSidecarTest, TargetFlagWithNativeClusterId) {
  TempDir dir;
  auto server = PostgresServer::StartPrimary(dir);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_TRUE((*server)
                  ->Query(absl::StrCat("CREATE ROLE monitor LOGIN PASSWORD '",
                                       kPassword, "' IN ROLE pg_monitor"))
                  .ok());
  // No --cluster-id: PostgreSQL has its own.
  auto exporter = ExporterProcess::Start(
      dir, "",
      {"--target=postgresql://monitor@" + (*server)->address() +
           "?sslmode=disable",
       "--target.password-env=DSE_TEST_PG_PASSWORD"},
      {std::string("DSE_TEST_PG_PASSWORD=") + kPassword});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  const std::string target = (*server)->address();
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", target}}), 1)
      << (*exporter)->Logs();
  EXPECT_EQ(RoleOf(samples, target), "primary");
  auto info = Select(samples, "datastore_info", {{"target", target}});
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].labels["cluster_id"],
            Text((*server)->Query(
                "SELECT system_identifier FROM pg_control_system()")));
}

}  // namespace
}  // namespace dse::testing
