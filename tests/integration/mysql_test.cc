// End-to-end tests of the exporter binary against real MariaDB servers
// (mariadbd): a primary and a GTID replica on free loopback ports.
#include <signal.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/mariadb_server.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kPassword[] = "Exp-4c1d8e-unique";

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra) {
  return TargetBlock(name, "mysql", address,
                     std::string("    cluster_id: db\n") + extra);
}

double Offset(const std::vector<Sample>& samples, const std::string& target,
              const std::string& shard = "0") {
  return ValueOf(
      samples, "datastore_shard_commit_offset",
      {{"target", target}, {"shard", shard}, {"unit", "transactions"}});
}

double Up(const std::vector<Sample>& samples, const std::string& target) {
  return ValueOf(samples, "datastore_up",
                 {{"target", target}, {"kind", "mysql"}});
}

class MariaDbPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto primary = MariaDbServer::Start(dir_, 1);
    ASSERT_TRUE(primary.ok()) << primary.status();
    primary_ = *std::move(primary);
    auto replica = MariaDbServer::Start(dir_, 2);
    ASSERT_TRUE(replica.ok()) << replica.status();
    replica_ = *std::move(replica);
    // Created on the primary only: users reach the replica by replication.
    ASSERT_TRUE(
        primary_
            ->Query(absl::StrCat(
                "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY '", kPassword,
                "'; GRANT SLAVE MONITOR ON *.* TO exporter@'127.0.0.1'; "
                "CREATE DATABASE app; "
                "CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v "
                "INT)"))
            .ok());
    ASSERT_TRUE(replica_->ReplicateFrom(*primary_).ok());
    Write(10);
    ASSERT_TRUE(replica_->CaughtUpWith(*primary_))
        << "replica did not catch up";
    password_file_ = dir_.path() + "/password";
    ASSERT_TRUE(WriteFile(password_file_, std::string(kPassword) + "\n"));
  }

  void Write(int count, const std::string& session = "") {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(primary_
                      ->Query(absl::StrCat(
                          session, "INSERT INTO app.t (v) VALUES (", i, ")"))
                      .ok());
    }
  }

  std::string Credentials() const {
    return absl::StrCat(
        "    username: exporter\n    password_file: ", password_file_, "\n");
  }

  std::string PairConfig(const std::string& extra = "") const {
    return absl::StrCat(
        "targets:\n",
        TargetYaml("primary", primary_->address(), Credentials() + extra),
        TargetYaml("replica", replica_->address(), Credentials() + extra));
  }

  TempDir dir_;
  std::unique_ptr<MariaDbServer> primary_;
  std::unique_ptr<MariaDbServer> replica_;
  std::string password_file_;
};

TEST_F(MariaDbPairTest, RolesOffsetsLagAndInfo) {
  auto exporter = ExporterProcess::Start(dir_, PairConfig());
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::string raw;
  std::vector<Sample> samples = (*exporter)->Scrape(&raw);

  EXPECT_EQ(Up(samples, "primary"), 1);
  EXPECT_EQ(Up(samples, "replica"), 1);
  EXPECT_EQ(RoleOf(samples, "primary"), "primary");
  EXPECT_EQ(RoleOf(samples, "replica"), "secondary");
  const std::string hostname = primary_->Value("SELECT @@hostname");
  for (auto [target, server] : {std::make_pair("primary", primary_.get()),
                                std::make_pair("replica", replica_.get())}) {
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    EXPECT_EQ(info[0].labels["cluster_id"], "db");
    EXPECT_EQ(info[0].labels["node"],
              absl::StrCat(hostname, ":", server->port()));
    EXPECT_THAT(info[0].labels["version"], ::testing::StartsWith("10.11."));
    EXPECT_THAT(info[0].labels["version"], Not(HasSubstr("-log")));
    // One shard (GTID domain 0), four role series (a state set).
    EXPECT_EQ(
        Select(samples, "datastore_shard_role", {{"target", target}}).size(),
        4u);
  }

  // The commit offset is the GTID sequence number of domain 0, the same on
  // both nodes once caught up.
  std::string position = primary_->Value("SELECT @@gtid_binlog_pos");
  double primary_offset = Offset(samples, "primary");
  EXPECT_EQ(absl::StrCat("0-1-", primary_offset), position);
  EXPECT_EQ(Offset(samples, "replica"), primary_offset);
  // Lag in seconds on the replica only.
  EXPECT_EQ(ValueOf(samples, "datastore_shard_replication_lag",
                    {{"target", "replica"}, {"unit", "seconds"}}),
            0);
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag",
                     {{"target", "primary"}})
                  .empty());

  // Writes move both offsets forward by one transaction each.
  Write(5);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto again = (*exporter)->Scrape();
        return Offset(again, "primary") == primary_offset + 5 &&
               Offset(again, "replica") == primary_offset + 5;
      },
      absl::Seconds(10)));

  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

TEST_F(MariaDbPairTest, StoppedSqlThreadIsRecoveringWithoutLag) {
  auto exporter = ExporterProcess::Start(dir_, PairConfig());
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  ASSERT_EQ(RoleOf((*exporter)->Scrape(), "replica"), "secondary");
  ASSERT_TRUE(replica_->Query("STOP SLAVE SQL_THREAD").ok());
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "recovering");
  EXPECT_EQ(RoleOf(samples, "primary"), "primary");
  // Seconds_Behind_Master is NULL: the lag is absent, not 0.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag",
                     {{"target", "replica"}})
                  .empty());
  ASSERT_TRUE(replica_->Query("START SLAVE SQL_THREAD").ok());
  EXPECT_TRUE(WaitFor(
      [&] { return RoleOf((*exporter)->Scrape(), "replica") == "secondary"; },
      absl::Seconds(10)));
}

TEST_F(MariaDbPairTest, StoppedReplicationShowsTheGapAcrossNodes) {
  auto exporter = ExporterProcess::Start(dir_, PairConfig());
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  ASSERT_TRUE(replica_->Query("STOP SLAVE").ok());
  Write(7);
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "recovering");
  // What the bundled recording rule computes: primary offset - node offset.
  EXPECT_EQ(Offset(samples, "primary") - Offset(samples, "replica"), 7);

  ASSERT_TRUE(replica_->Query("START SLAVE").ok());
  ASSERT_TRUE(replica_->CaughtUpWith(*primary_));
  samples = (*exporter)->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "secondary");
  EXPECT_EQ(Offset(samples, "primary"), Offset(samples, "replica"));
}

TEST_F(MariaDbPairTest, PromotedReplicaIsPrimaryAtTheNextScrape) {
  auto exporter = ExporterProcess::Start(dir_, PairConfig());
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> before = (*exporter)->Scrape();
  ASSERT_EQ(RoleOf(before, "replica"), "secondary");

  primary_->process().Stop();
  ASSERT_TRUE(replica_->Query("STOP SLAVE; RESET SLAVE ALL").ok());
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "primary");
  EXPECT_EQ(Offset(samples, "replica"), Offset(before, "primary"));
  // The stopped server is down and exports nothing stale.
  EXPECT_EQ(Up(samples, "primary"), 0);
  EXPECT_TRUE(
      Select(samples, "datastore_shard_role", {{"target", "primary"}}).empty());
  EXPECT_TRUE(
      Select(samples, "datastore_info", {{"target", "primary"}}).empty());
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("target is down"));
  EXPECT_THAT(logs, HasSubstr("target=primary"));

  // The new primary's writes continue the domain's sequence.
  ASSERT_TRUE(replica_->Query("INSERT INTO app.t (v) VALUES (1)").ok());
  EXPECT_EQ(Offset((*exporter)->Scrape(), "replica"),
            Offset(before, "primary") + 1);
}

TEST_F(MariaDbPairTest, SeveralGtidDomainsGiveOneShardEach) {
  Write(3, "SET SESSION gtid_domain_id=1; ");
  ASSERT_TRUE(replica_->CaughtUpWith(*primary_));
  auto exporter = ExporterProcess::Start(dir_, PairConfig());
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  for (const std::string shard : {"0", "1"}) {
    EXPECT_EQ(RoleOf(samples, "primary", shard), "primary") << shard;
    EXPECT_EQ(RoleOf(samples, "replica", shard), "secondary") << shard;
    EXPECT_EQ(Offset(samples, "primary", shard),
              Offset(samples, "replica", shard))
        << shard;
  }
  EXPECT_EQ(Offset(samples, "primary", "1"), 3);
}

TEST_F(MariaDbPairTest, MissingSlaveMonitorIsAnErrorNamingThePrivilege) {
  // The grant mysqld_exporter's README recommends: not enough on 10.5+.
  ASSERT_TRUE(primary_
                  ->Query(absl::StrCat(
                      "CREATE USER weak@'127.0.0.1' IDENTIFIED BY '", kPassword,
                      "'; GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* "
                      "TO weak@'127.0.0.1'"))
                  .ok());
  ASSERT_TRUE(replica_->CaughtUpWith(*primary_));
  std::string weak = absl::StrCat(
      "    username: weak\n    password_file: ", password_file_, "\n");
  std::string config = absl::StrCat(
      "targets:\n", TargetYaml("weak-primary", primary_->address(), weak),
      TargetYaml("weak-replica", replica_->address(), weak),
      TargetYaml("replica", replica_->address(), Credentials()));
  auto exporter = ExporterProcess::Start(dir_, config);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(Up(samples, "replica"), 1);
  for (const char* target : {"weak-primary", "weak-replica"}) {
    EXPECT_EQ(Up(samples, target), 0) << target;
    EXPECT_TRUE(
        Select(samples, "datastore_shard_role", {{"target", target}}).empty());
    EXPECT_TRUE(
        Select(samples, "datastore_info", {{"target", target}}).empty());
  }
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("target=weak-replica"));
  EXPECT_THAT(logs, HasSubstr("the exporter's user needs SLAVE MONITOR"));
  HttpResult page = HttpFetch((*exporter)->url("/"));
  EXPECT_THAT(page.body, HasSubstr("SLAVE MONITOR"));
}

TEST_F(MariaDbPairTest, HungServerTimesOutWithoutDelayingTheOthers) {
  auto exporter =
      ExporterProcess::Start(dir_, PairConfig("    timeout: 500ms\n"));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  ASSERT_EQ(Up((*exporter)->Scrape(), "replica"), 1);

  replica_->process().Signal(SIGSTOP);
  // First the open connection's query, then a fresh connect, both bounded.
  for (int round = 0; round < 2; ++round) {
    absl::Time start = absl::Now();
    std::vector<Sample> samples = (*exporter)->Scrape();
    absl::Duration took = absl::Now() - start;
    EXPECT_EQ(Up(samples, "replica"), 0) << round;
    EXPECT_EQ(Up(samples, "primary"), 1) << round;
    // Bounded by the 500 ms timeout, not by the hung server (generous margin
    // for a loaded machine: this checks the deadline exists, not speed).
    EXPECT_LT(took, absl::Seconds(3)) << round;
    EXPECT_LT(ValueOf(samples, "datastore_collect_duration_seconds",
                      {{"target", "replica"}}),
              1.5)
        << round;
  }
  replica_->process().Signal(SIGCONT);
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("query: timed out"));
  EXPECT_THAT(logs, HasSubstr("connect: timed out"));
  EXPECT_TRUE(WaitFor([&] { return Up((*exporter)->Scrape(), "replica") == 1; },
                      absl::Seconds(10)));
}

TEST_F(MariaDbPairTest, OneConnectionAndOneRoundTripPerScrape) {
  ASSERT_TRUE(
      replica_->Query("SET GLOBAL log_output='TABLE'; SET GLOBAL general_log=1")
          .ok());
  auto exporter = ExporterProcess::Start(dir_, PairConfig());
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(Up((*exporter)->Scrape(), "replica"), 1);
  auto log = replica_->Query(
      "SELECT command_type, COUNT(*), COUNT(DISTINCT thread_id) FROM "
      "mysql.general_log "
      "WHERE user_host LIKE '%[exporter]%' GROUP BY command_type "
      "ORDER BY command_type");
  ASSERT_TRUE(log.ok()) << log.status();
  // One connection for all scrapes, one query (both statements) per scrape.
  EXPECT_EQ(*log, (std::vector<std::vector<std::string>>{{"Connect", "1", "1"},
                                                         {"Query", "5", "1"}}));
}

TEST_F(MariaDbPairTest, PasswordsFromFileOrEnvironmentAndNeverShown) {
  const std::string wrong = "Wrong-93b7a2-unique";
  std::string bad_file = dir_.path() + "/bad";
  ASSERT_TRUE(WriteFile(bad_file, wrong + "\n"));
  std::string config = absl::StrCat(
      "targets:\n", TargetYaml("file", primary_->address(), Credentials()),
      TargetYaml("env", primary_->address(),
                 "    username: exporter\n    password_env: "
                 "DSE_TEST_MYSQL_PASSWORD\n"),
      TargetYaml(
          "bad", primary_->address(),
          "    username: exporter\n    password_file: " + bad_file + "\n"));
  auto exporter = ExporterProcess::Start(
      dir_, config, {"--log.level=debug"},
      {std::string("DSE_TEST_MYSQL_PASSWORD=") + kPassword});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::string raw;
  std::vector<Sample> samples = (*exporter)->Scrape(&raw);
  EXPECT_EQ(Up(samples, "file"), 1);
  EXPECT_EQ(Up(samples, "env"), 1);
  EXPECT_EQ(Up(samples, "bad"), 0);
  EXPECT_EQ(ValueOf(samples, "datastore_exporter_collection_errors_total",
                    {{"target", "bad"}, {"reason", "auth"}}),
            1);
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("target=bad"));
  EXPECT_THAT(logs, HasSubstr("Access denied for user"));
  HttpResult page = HttpFetch((*exporter)->url("/"));
  for (const std::string& secret : {std::string(kPassword), wrong}) {
    EXPECT_THAT(raw, Not(HasSubstr(secret)));
    EXPECT_THAT(logs, Not(HasSubstr(secret)));
    EXPECT_THAT(page.body, Not(HasSubstr(secret)));
  }

  // The sidecar form, with the password from a file.
  auto sidecar = ExporterProcess::Start(
      dir_, "",
      {"--target=mysql://exporter@" + primary_->address(), "--cluster-id=db",
       "--target.password-file=" + password_file_});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();
  samples = (*sidecar)->Scrape();
  EXPECT_EQ(Up(samples, primary_->address()), 1);
  EXPECT_EQ(RoleOf(samples, primary_->address()), "primary");
}

}  // namespace
}  // namespace dse::testing
