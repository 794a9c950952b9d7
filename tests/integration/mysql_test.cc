// End-to-end tests of the exporter binary against real MariaDB servers
// (mariadbd): a primary and a GTID replica on free loopback ports.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/mariadb_fixture.h"
#include "tests/support/mariadb_server.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPassword = MariaDbFixture::kPassword;

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

// A primary and its GTID replica; what every kind shows (roles, offsets
// after a write, hung and stopped nodes, failover) is in cross_kind_test.cc.
class MariaDbPairTest : public DatastoreTest<MariaDbFixture> {
 protected:
  MariaDbPairTest() : DatastoreTest({"primary", "replica"}) {}

  MariaDbServer& primary() { return topology_.server(0); }
  MariaDbServer& replica() { return topology_.server(1); }

  void Write(int count, const std::string& session = "") {
    ASSERT_TRUE(topology_.Insert(count, session).ok());
  }
};

TEST_F(MariaDbPairTest, NodeVersionGtidOffsetsAndLag) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::string raw;
  std::vector<Sample> samples = exporter->Scrape(&raw);

  const std::string hostname = primary().Value("SELECT @@hostname");
  for (auto [target, server] : {std::make_pair("primary", &primary()),
                                std::make_pair("replica", &replica())}) {
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    EXPECT_EQ(info[0].labels["node"],
              absl::StrCat(hostname, ":", server->port()));
    EXPECT_THAT(info[0].labels["version"], ::testing::StartsWith("10.11."));
    EXPECT_THAT(info[0].labels["version"], Not(HasSubstr("-log")));
  }

  // The commit offset is the GTID sequence number of domain 0, the same on
  // both nodes once caught up.
  std::string position = primary().Value("SELECT @@gtid_binlog_pos");
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
        auto again = exporter->Scrape();
        return Offset(again, "primary") == primary_offset + 5 &&
               Offset(again, "replica") == primary_offset + 5;
      },
      absl::Seconds(10)));

  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

TEST_F(MariaDbPairTest, StoppedSqlThreadIsRecoveringWithoutLag) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  ASSERT_EQ(RoleOf(exporter->Scrape(), "replica"), "secondary");
  ASSERT_TRUE(replica().Query("STOP SLAVE SQL_THREAD").ok());
  std::vector<Sample> samples = exporter->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "recovering");
  EXPECT_EQ(RoleOf(samples, "primary"), "primary");
  // Seconds_Behind_Master is NULL: the lag is absent, not 0.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag",
                     {{"target", "replica"}})
                  .empty());
  ASSERT_TRUE(replica().Query("START SLAVE SQL_THREAD").ok());
  EXPECT_TRUE(WaitFor(
      [&] { return RoleOf(exporter->Scrape(), "replica") == "secondary"; },
      absl::Seconds(10)));
}

TEST_F(MariaDbPairTest, StoppedReplicationShowsTheGapAcrossNodes) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  ASSERT_TRUE(replica().Query("STOP SLAVE").ok());
  Write(7);
  std::vector<Sample> samples = exporter->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "recovering");
  // What the bundled recording rule computes: primary offset - node offset.
  EXPECT_EQ(Offset(samples, "primary") - Offset(samples, "replica"), 7);

  ASSERT_TRUE(replica().Query("START SLAVE").ok());
  ASSERT_TRUE(replica().CaughtUpWith(primary()));
  samples = exporter->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "secondary");
  EXPECT_EQ(Offset(samples, "primary"), Offset(samples, "replica"));
}

TEST_F(MariaDbPairTest, PromotedReplicaContinuesTheDomainsSequence) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> before = exporter->Scrape();
  ASSERT_EQ(RoleOf(before, "replica"), "secondary");

  ASSERT_TRUE(topology_.FailOver().ok());
  std::vector<Sample> samples = exporter->Scrape();
  EXPECT_EQ(RoleOf(samples, "replica"), "primary");
  EXPECT_EQ(Offset(samples, "replica"), Offset(before, "primary"));
  // The new primary's writes continue the domain's sequence.
  ASSERT_TRUE(replica().Query("INSERT INTO app.t (v) VALUES (1)").ok());
  EXPECT_EQ(Offset(exporter->Scrape(), "replica"),
            Offset(before, "primary") + 1);
}

TEST_F(MariaDbPairTest, SeveralGtidDomainsGiveOneShardEach) {
  Write(3, "SET SESSION gtid_domain_id=1; ");
  ASSERT_TRUE(replica().CaughtUpWith(primary()));
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> samples = exporter->Scrape();
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
  ASSERT_TRUE(primary()
                  .Query(absl::StrCat(
                      "CREATE USER weak@'127.0.0.1' IDENTIFIED BY '", kPassword,
                      "'; GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* "
                      "TO weak@'127.0.0.1'"))
                  .ok());
  ASSERT_TRUE(replica().CaughtUpWith(primary()));
  std::string weak = absl::StrCat("    username: weak\n    password_file: ",
                                  topology_.password_file(), "\n");
  std::string config = absl::StrCat(
      "targets:\n", TargetYaml("weak-primary", primary().address(), weak),
      TargetYaml("weak-replica", replica().address(), weak),
      topology_.TargetYaml(1, "replica"));
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

TEST_F(MariaDbPairTest, OneConnectionAndOneRoundTripPerScrape) {
  ASSERT_TRUE(
      replica()
          .Query("SET GLOBAL log_output='TABLE'; SET GLOBAL general_log=1")
          .ok());
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(Up(exporter->Scrape(), "replica"), 1);
  auto log = replica().Query(
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
      "targets:\n", topology_.TargetYaml(0, "file"),
      TargetYaml("env", primary().address(),
                 "    username: exporter\n    password_env: "
                 "DSE_TEST_MYSQL_PASSWORD\n"),
      TargetYaml(
          "bad", primary().address(),
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
  EXPECT_EQ(WhereSecretsShow(**exporter, raw, {kPassword, wrong}), "");

  // The sidecar form, with the password from a file.
  auto sidecar = ExporterProcess::Start(
      dir_, "",
      {"--target=mysql://exporter@" + primary().address(), "--cluster-id=db",
       "--target.password-file=" + topology_.password_file()});
  ASSERT_TRUE(sidecar.ok()) << sidecar.status();
  samples = (*sidecar)->Scrape();
  EXPECT_EQ(Up(samples, primary().address()), 1);
  EXPECT_EQ(RoleOf(samples, primary().address()), "primary");
}

}  // namespace
}  // namespace dse::testing
