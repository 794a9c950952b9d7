// Parser and mapping tests on replies recorded from MariaDB 10.11.19
// (fixtures/record.sh says how) and on replies shaped like MySQL 8.0's
// reference manual (fixtures/README.md).
#include "collectors/mysql/mysql_parse.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::mysql {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kMySqlUuid[] = "3e11fa47-71ca-11e1-9e33-c80aa9429562";

// "  Name: value" or "Name:" (the name right-aligned, as the client prints).
bool SplitField(absl::string_view line, std::string* name, std::string* value) {
  absl::string_view rest = absl::StripLeadingAsciiWhitespace(line);
  size_t colon = rest.find(':');
  if (colon == absl::string_view::npos || colon == 0) return false;
  for (char c : rest.substr(0, colon)) {
    if (!absl::ascii_isalnum(c) && c != '_') return false;
  }
  absl::string_view after = rest.substr(colon + 1);
  if (!after.empty() && after[0] != ' ') return false;
  *name = std::string(rest.substr(0, colon));
  *value = std::string(absl::StripPrefix(after, " "));
  return true;
}

// Reads the client's vertical output (\G) back into a result set: a
// "*** N. row ***" line starts a row, "name: value" lines give its columns,
// any other line continues the previous value (MySQL's multi-line GTID
// sets). "NULL" is NULL. Empty output is an empty result set.
ResultSet ReadVertical(const std::string& text) {
  ResultSet result;
  std::vector<std::optional<std::string>>* row = nullptr;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "*****")) {
      result.rows.emplace_back();
      row = &result.rows.back();
      continue;
    }
    if (row == nullptr) {
      ADD_FAILURE() << "field before the first row: " << line;
      continue;
    }
    std::string name, value;
    if (SplitField(line, &name, &value)) {
      if (result.rows.size() == 1) result.columns.push_back(name);
      row->emplace_back(value);
    } else if (!row->empty() && row->back().has_value()) {
      *row->back() += "\n" + std::string(line);
    }
  }
  for (auto& values : result.rows) {
    for (auto& value : values) {
      if (value == "NULL") value.reset();
    }
  }
  return result;
}

struct Scenario {
  Flavor flavor;
  std::string variables_file;
  std::string status_file;
};

NodeModel Model(const Scenario& scenario) {
  auto variables =
      ParseVariables(ReadVertical(ReadFixture(scenario.variables_file)));
  EXPECT_TRUE(variables.ok()) << variables.status();
  auto channels =
      ParseReplicaStatus(ReadVertical(ReadFixture(scenario.status_file)));
  EXPECT_TRUE(channels.ok()) << channels.status();
  if (!variables.ok() || !channels.ok()) return NodeModel();
  return ExpectOk(BuildModel(scenario.flavor, *variables, *channels));
}

// A MariaDB 10.11.19 scenario recorded by record.sh.
NodeModel MariaDb(const std::string& scenario) {
  return Model({Flavor::kMariaDb, "variables_10.11.19_" + scenario + ".txt",
                "show_all_slaves_status_10.11.19_" + scenario + ".txt"});
}

NodeModel MySql(const std::string& variables, const std::string& status) {
  return Model({Flavor::kMySql,
                "variables_mysql8.0-manual_" + variables + ".txt",
                "show_replica_status_mysql8.0-manual_" + status + ".txt"});
}

const Shard* FindShard(const NodeModel& model, const std::string& id) {
  for (const Shard& shard : model.shards) {
    if (shard.id == id) return &shard;
  }
  ADD_FAILURE() << "no shard " << id;
  return nullptr;
}

uint64_t Offset(const NodeModel& model, const std::string& shard_id) {
  const Shard* shard = FindShard(model, shard_id);
  if (shard == nullptr || !shard->commit_offset) {
    ADD_FAILURE() << "no commit offset for shard " << shard_id;
    return 0;
  }
  EXPECT_EQ(shard->commit_offset->unit, "transactions");
  return shard->commit_offset->value;
}

std::vector<std::string> ShardIds(const NodeModel& model) {
  std::vector<std::string> ids;
  for (const Shard& shard : model.shards) ids.push_back(shard.id);
  return ids;
}

TEST(FlavorOf, MariaDbSaysSoAndEverythingElseIsMySql) {
  EXPECT_EQ(FlavorOf("10.11.19-MariaDB-0+deb12u1-log"), Flavor::kMariaDb);
  EXPECT_EQ(FlavorOf("11.4.2-mariadb"), Flavor::kMariaDb);
  EXPECT_EQ(FlavorOf("8.0.36"), Flavor::kMySql);
  EXPECT_EQ(FlavorOf("8.0.36-0ubuntu0.22.04.1"), Flavor::kMySql);
}

TEST(ScrapeStatements, DependOnFlavorAndVersion) {
  auto mariadb = ScrapeStatements(Flavor::kMariaDb, "10.11.19-MariaDB");
  ASSERT_THAT(mariadb, SizeIs(2));
  EXPECT_THAT(mariadb[0], HasSubstr("@@gtid_current_pos AS gtid_position"));
  EXPECT_EQ(mariadb[1], "SHOW ALL SLAVES STATUS");
  auto mysql8 = ScrapeStatements(Flavor::kMySql, "8.0.36");
  ASSERT_THAT(mysql8, SizeIs(2));
  EXPECT_THAT(mysql8[0], HasSubstr("@@gtid_executed AS gtid_position"));
  EXPECT_EQ(mysql8[1], "SHOW REPLICA STATUS");
  EXPECT_EQ(ScrapeStatements(Flavor::kMySql, "8.0.22")[1],
            "SHOW REPLICA STATUS");
  EXPECT_EQ(ScrapeStatements(Flavor::kMySql, "8.4.0")[1],
            "SHOW REPLICA STATUS");
  EXPECT_EQ(ScrapeStatements(Flavor::kMySql, "8.0.21")[1], "SHOW SLAVE STATUS");
  EXPECT_EQ(ScrapeStatements(Flavor::kMySql, "5.7.44-log")[1],
            "SHOW SLAVE STATUS");
  EXPECT_EQ(ScrapeStatements(Flavor::kMySql, "garbage")[1],
            "SHOW SLAVE STATUS");
}

TEST(ParseVariables, ReadsTheRecordedRow) {
  auto variables = ParseVariables(
      ReadVertical(ReadFixture("variables_10.11.19_primary.txt")));
  ASSERT_TRUE(variables.ok()) << variables.status();
  // "-log" (binary log on) is not part of the version.
  EXPECT_EQ(variables->version, "10.11.19-MariaDB-0+deb12u1");
  EXPECT_FALSE(variables->hostname.empty());
  EXPECT_THAT(variables->port, ::testing::MatchesRegex("[0-9]+"));
  EXPECT_EQ(variables->gtid_position, "0-1-14");
  EXPECT_EQ(variables->gtid_domain_id, 0u);
}

TEST(ParseVariables, RejectsMissingRowsAndValues) {
  EXPECT_FALSE(ParseVariables(ResultSet{{"version"}, {}}).ok());
  auto no_host =
      ParseVariables(ResultSet{{"version", "hostname", "port"},
                               {{"10.11.19-MariaDB", std::nullopt, "3306"}}});
  ASSERT_FALSE(no_host.ok());
  EXPECT_THAT(no_host.status().message(), HasSubstr("hostname"));
  auto bad_domain = ParseVariables(ResultSet{
      {"version", "hostname", "port", "gtid_position", "gtid_domain_id"},
      {{"10.11.19-MariaDB", "h", "3306", "", "x"}}});
  ASSERT_FALSE(bad_domain.ok());
  EXPECT_THAT(bad_domain.status().message(),
              HasSubstr("@@gtid_domain_id: bad value \"x\""));
}

TEST(ParseReplicaStatus, PrimaryHasNoConnection) {
  auto channels = ParseReplicaStatus(
      ReadVertical(ReadFixture("show_all_slaves_status_10.11.19_primary.txt")));
  ASSERT_TRUE(channels.ok()) << channels.status();
  EXPECT_TRUE(channels->empty());
}

TEST(ParseReplicaStatus, ReadsEveryConnection) {
  auto channels = ParseReplicaStatus(ReadVertical(ReadFixture(
      "show_all_slaves_status_10.11.19_replica_other_stopped.txt")));
  ASSERT_TRUE(channels.ok()) << channels.status();
  ASSERT_THAT(*channels, SizeIs(2));
  const ReplicationChannel& main = (*channels)[0];
  const ReplicationChannel& other = (*channels)[1];
  EXPECT_EQ(main.name, "");
  EXPECT_TRUE(main.io_running && main.sql_running);
  EXPECT_EQ(main.seconds_behind, 0.0);
  EXPECT_THAT(main.ignore_domains, ElementsAre(2u));
  EXPECT_TRUE(main.Replicates(0) && main.Replicates(1) && !main.Replicates(2));
  EXPECT_EQ(other.name, "other");
  EXPECT_FALSE(other.io_running || other.sql_running);
  EXPECT_FALSE(other.seconds_behind.has_value());  // NULL.
  EXPECT_THAT(other.do_domains, ElementsAre(2u));
  EXPECT_TRUE(other.Replicates(2) && !other.Replicates(0));
}

TEST(ParseReplicaStatus, ConnectingIsNotRunning) {
  auto channels = ParseReplicaStatus(ReadVertical(
      ReadFixture("show_all_slaves_status_10.11.19_replica_primary_down.txt")));
  ASSERT_TRUE(channels.ok()) << channels.status();
  ASSERT_THAT(*channels, SizeIs(2));
  EXPECT_FALSE((*channels)[0].io_running);
  EXPECT_TRUE((*channels)[0].sql_running);
}

TEST(ParseReplicaStatus, RejectsMissingColumnsAndBadValues) {
  auto no_columns = ParseReplicaStatus(ResultSet{{"Connection_name"}, {{""}}});
  ASSERT_FALSE(no_columns.ok());
  EXPECT_THAT(no_columns.status().message(), HasSubstr("Slave_IO_Running"));
  ResultSet bad_lag{
      {"Slave_IO_Running", "Slave_SQL_Running", "Seconds_Behind_Master"},
      {{"Yes", "Yes", "soon"}}};
  auto lag = ParseReplicaStatus(bad_lag);
  ASSERT_FALSE(lag.ok());
  EXPECT_THAT(lag.status().message(),
              HasSubstr("Seconds_Behind_Master: bad value \"soon\""));
  ResultSet bad_ids{{"Slave_IO_Running", "Slave_SQL_Running",
                     "Seconds_Behind_Master", "Replicate_Do_Domain_Ids"},
                    {{"Yes", "Yes", "0", "1,x"}}};
  auto ids = ParseReplicaStatus(bad_ids);
  ASSERT_FALSE(ids.ok());
  EXPECT_THAT(ids.status().message(), HasSubstr("Replicate_Do_Domain_Ids"));
}

TEST(ParseReplicaStatus, ReadsEachConnectionsSource) {
  auto channels = ParseReplicaStatus(ReadVertical(
      ReadFixture("show_all_slaves_status_10.11.19_replica_two_sources.txt")));
  ASSERT_TRUE(channels.ok()) << channels.status();
  ASSERT_THAT(*channels, SizeIs(2));
  EXPECT_EQ((*channels)[0].source_host, "127.0.0.1");
  EXPECT_EQ((*channels)[0].source_port, 41585);
  EXPECT_EQ((*channels)[1].source_port, 47631);
  auto mysql = ParseReplicaStatus(ReadVertical(
      ReadFixture("show_replica_status_mysql8.0-manual_replica.txt")));
  ASSERT_TRUE(mysql.ok()) << mysql.status();
  ASSERT_THAT(*mysql, SizeIs(1));
  EXPECT_EQ((*mysql)[0].source_host, "127.0.0.1");
  EXPECT_EQ((*mysql)[0].source_port, 13000);
  // Read for discovery only: a port that is none names nobody, and the
  // scrape goes on.
  auto odd = ParseReplicaStatus(
      ResultSet{{"Slave_IO_Running", "Slave_SQL_Running",
                 "Seconds_Behind_Master", "Master_Host", "Master_Port"},
                {{"Yes", "Yes", "0", "db-1", "x"}}});
  ASSERT_TRUE(odd.ok()) << odd.status();
  EXPECT_EQ((*odd)[0].source_port, 0);
  EXPECT_THAT(MemberAddresses(*odd, {}), IsEmpty());
}

TEST(MemberStatements, StatusThenReplicaListByFlavorAndVersion) {
  EXPECT_THAT(MemberStatements(Flavor::kMariaDb, "10.11.19-MariaDB"),
              ElementsAre("SHOW ALL SLAVES STATUS", "SHOW SLAVE HOSTS"));
  EXPECT_THAT(MemberStatements(Flavor::kMySql, "8.0.36"),
              ElementsAre("SHOW REPLICA STATUS", "SHOW REPLICAS"));
  EXPECT_THAT(MemberStatements(Flavor::kMySql, "8.0.21"),
              ElementsAre("SHOW SLAVE STATUS", "SHOW SLAVE HOSTS"));
}

std::vector<ReplicaHost> ReplicaHosts(const std::string& name) {
  return ExpectOk(ParseReplicaHosts(ReadVertical(ReadFixture(name))), name);
}

TEST(ParseReplicaHosts, ReplicaWithoutReportHostIsNamedByItsConnection) {
  // The replica set neither report_host nor report_port: MariaDB lists the
  // address it connected from and its @@port (33297 in that recording).
  std::vector<ReplicaHost> replicas =
      ReplicaHosts("show_slave_hosts_10.11.19_primary.txt");
  ASSERT_THAT(replicas, SizeIs(1));
  EXPECT_EQ(replicas[0].host, "127.0.0.1");
  EXPECT_EQ(replicas[0].port, 33297);
  EXPECT_THAT(ReplicaHosts("show_slave_hosts_10.11.19_replica.txt"), IsEmpty());
}

TEST(ParseReplicaHosts, ReportedHostAndPortWin) {
  std::vector<ReplicaHost> replicas = ReplicaHosts(
      "show_slave_hosts_10.11.19_primary_two_replicas_one_reported.txt");
  ASSERT_THAT(replicas, SizeIs(2));
  EXPECT_EQ(replicas[0].host, "db-4.example");
  EXPECT_EQ(replicas[0].port, 3307);
  EXPECT_EQ(replicas[1].host, "127.0.0.1");
}

TEST(ParseReplicaHosts, RejectsMissingColumnsAndBadPorts) {
  EXPECT_THAT(
      ParseReplicaHosts(ResultSet{{"Server_id"}, {{"2"}}}).status().message(),
      HasSubstr("no Host or Port column"));
  EXPECT_THAT(ParseReplicaHosts(ResultSet{{"Host", "Port"}, {{"h", "x"}}})
                  .status()
                  .message(),
              HasSubstr("Port: bad value \"x\""));
}

TEST(MemberAddresses, SourcesThenReplicasEachOnce) {
  auto channels = ParseReplicaStatus(ReadVertical(
      ReadFixture("show_all_slaves_status_10.11.19_replica_two_sources.txt")));
  ASSERT_TRUE(channels.ok()) << channels.status();
  std::vector<ReplicaHost> replicas = ReplicaHosts(
      "show_slave_hosts_10.11.19_primary_two_replicas_one_reported.txt");
  EXPECT_THAT(MemberAddresses(*channels, replicas),
              ElementsAre("127.0.0.1:41585", "127.0.0.1:47631",
                          "db-4.example:3307", "127.0.0.1:33297"));
  EXPECT_THAT(MemberAddresses({}, {}), IsEmpty());
}

TEST(MemberAddresses, MySqlReplicaWithoutReportHostNamesNobody) {
  // SHOW REPLICAS as the MySQL 8.0 manual describes it (not recorded: no
  // MySQL server here): Host is empty for a replica without report_host.
  ResultSet result{{"Server_Id", "Host", "Port", "Source_Id", "Replica_UUID"},
                   {{"10", "iconnect2", "3306", "3", kMySqlUuid},
                    {"21", "", "3306", "3", kMySqlUuid},
                    {"22", "athena", "0", "3", kMySqlUuid}}};
  std::vector<ReplicaHost> replicas = ExpectOk(ParseReplicaHosts(result));
  ReplicationChannel ipv6;
  ipv6.source_host = "::1";
  ipv6.source_port = 3306;
  EXPECT_THAT(MemberAddresses({ipv6}, replicas),
              ElementsAre("[::1]:3306", "iconnect2:3306"));
}

TEST(ParseMariaDbGtidList, ReadsEachDomainsSequence) {
  auto list = ParseMariaDbGtidList("0-1-19,1-1-1, 2-3-3");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(*list, (std::map<uint32_t, uint64_t>{{0, 19}, {1, 1}, {2, 3}}));
  EXPECT_TRUE(ParseMariaDbGtidList("")->empty());
  // A domain twice (as in @@gtid_binlog_state): the highest sequence.
  EXPECT_EQ(ParseMariaDbGtidList("0-1-5,0-2-9")->at(0), 9u);
  for (const char* bad : {"0-1", "a-b-c", "0-1-2-3", "0-1--2"}) {
    auto parsed = ParseMariaDbGtidList(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_THAT(parsed.status().message(),
                HasSubstr("expected domain-server-sequence"));
  }
}

TEST(CountMySqlGtidSet, CountsTransactionsOfEveryInterval) {
  const std::string u = kMySqlUuid;
  const std::string v = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
  EXPECT_EQ(*CountMySqlGtidSet(""), 0u);
  EXPECT_EQ(*CountMySqlGtidSet(u + ":1-5"), 5u);
  EXPECT_EQ(*CountMySqlGtidSet(u + ":1-5:7-9:11"), 9u);
  EXPECT_EQ(*CountMySqlGtidSet(u + ":1-5,\n" + v + ":1-3"), 8u);
  // MySQL 8.3+ tagged GTIDs.
  EXPECT_EQ(*CountMySqlGtidSet(u + ":1-5:nightly:1-3:_x:4"), 9u);
  for (const std::string& bad :
       {std::string("nonsense"), u, u + ":5-3", u + ":0", u + ":x-1",
        u + ":tag", std::string("3e11fa47:1-5"),
        u + ":1-18446744073709551615:1-5"}) {
    auto count = CountMySqlGtidSet(bad);
    ASSERT_FALSE(count.ok()) << bad;
    EXPECT_THAT(count.status().message(), HasSubstr("GTID set entry"));
  }
}

TEST(BuildModel, MariaDbPrimary) {
  NodeModel model = MariaDb("primary");
  EXPECT_EQ(model.version, "10.11.19-MariaDB-0+deb12u1");
  EXPECT_THAT(model.node, ::testing::MatchesRegex(".+:[0-9]+"));
  EXPECT_TRUE(model.cluster_id.empty());  // From the configuration.
  ASSERT_THAT(model.shards, SizeIs(1));
  EXPECT_EQ(model.shards[0].id, "0");
  EXPECT_EQ(model.shards[0].role, Role::kPrimary);
  EXPECT_EQ(Offset(model, "0"), 14u);
  EXPECT_TRUE(model.shards[0].lags.empty());
}

TEST(BuildModel, MariaDbCaughtUpReplica) {
  NodeModel primary = MariaDb("primary");
  NodeModel replica = MariaDb("replica");
  EXPECT_NE(replica.node, primary.node);
  ASSERT_THAT(replica.shards, SizeIs(1));
  EXPECT_EQ(replica.shards[0].role, Role::kSecondary);
  EXPECT_EQ(Offset(replica, "0"), Offset(primary, "0"));
  ASSERT_THAT(replica.shards[0].lags, SizeIs(1));
  EXPECT_EQ(replica.shards[0].lags[0].unit, "seconds");
  EXPECT_EQ(replica.shards[0].lags[0].value, 0);
}

TEST(BuildModel, MariaDbStoppedSqlThreadIsRecoveringWithoutLag) {
  NodeModel model = MariaDb("replica_sql_stopped");
  ASSERT_THAT(model.shards, SizeIs(1));
  EXPECT_EQ(model.shards[0].role, Role::kRecovering);
  EXPECT_TRUE(model.shards[0].lags.empty());  // NULL, not 0.
  EXPECT_EQ(Offset(model, "0"), 14u);
}

TEST(BuildModel, MariaDbStoppedReplicationShowsTheGap) {
  NodeModel primary = MariaDb("primary_ahead");
  NodeModel replica = MariaDb("replica_stopped");
  EXPECT_EQ(replica.shards[0].role, Role::kRecovering);
  EXPECT_EQ(Offset(primary, "0") - Offset(replica, "0"), 5u);
}

TEST(BuildModel, MariaDbOneShardPerDomain) {
  NodeModel primary = MariaDb("primary_two_domains");
  NodeModel replica = MariaDb("replica_two_domains");
  EXPECT_THAT(ShardIds(primary), ElementsAre("0", "1"));
  EXPECT_THAT(ShardIds(replica), ElementsAre("0", "1"));
  for (const char* id : {"0", "1"}) {
    EXPECT_EQ(FindShard(primary, id)->role, Role::kPrimary);
    EXPECT_EQ(FindShard(replica, id)->role, Role::kSecondary);
    EXPECT_EQ(Offset(primary, id), Offset(replica, id)) << id;
  }
  EXPECT_EQ(Offset(primary, "1"), 1u);
}

TEST(BuildModel, MariaDbMultiSourceRolesFollowDomainFilters) {
  NodeModel both = MariaDb("replica_two_sources");
  EXPECT_THAT(ShardIds(both), ElementsAre("0", "1", "2"));
  for (const Shard& shard : both.shards)
    EXPECT_EQ(shard.role, Role::kSecondary);

  // Only connection "other" brings domain 2 (DO_DOMAIN_IDS=(2)).
  NodeModel other_stopped = MariaDb("replica_other_stopped");
  EXPECT_EQ(FindShard(other_stopped, "0")->role, Role::kSecondary);
  EXPECT_EQ(FindShard(other_stopped, "1")->role, Role::kSecondary);
  EXPECT_EQ(FindShard(other_stopped, "2")->role, Role::kRecovering);
  EXPECT_THAT(FindShard(other_stopped, "0")->lags, SizeIs(1));
  EXPECT_TRUE(FindShard(other_stopped, "2")->lags.empty());

  // The default connection (every domain but 2) cannot reach its primary.
  NodeModel primary_down = MariaDb("replica_primary_down");
  EXPECT_EQ(FindShard(primary_down, "0")->role, Role::kRecovering);
  EXPECT_EQ(FindShard(primary_down, "1")->role, Role::kRecovering);
  EXPECT_EQ(FindShard(primary_down, "2")->role, Role::kSecondary);
}

TEST(BuildModel, DomainReplicatedByNoConnectionIsThisNodesPrimary) {
  ServerVariables variables{"10.11.19-MariaDB", "db", "3306", "0-1-9,5-2-3", 0};
  ReplicationChannel only_zero;
  only_zero.io_running = only_zero.sql_running = true;
  only_zero.seconds_behind = 2;
  only_zero.do_domains = {0};
  auto model = BuildModel(Flavor::kMariaDb, variables, {only_zero});
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(FindShard(*model, "0")->role, Role::kSecondary);
  EXPECT_EQ(FindShard(*model, "0")->lags[0].value, 2);
  EXPECT_EQ(FindShard(*model, "5")->role, Role::kPrimary);
  EXPECT_TRUE(FindShard(*model, "5")->lags.empty());
}

TEST(BuildModel, EmptyGtidPositionGivesOwnDomainWithoutOffset) {
  ServerVariables mariadb{"10.11.19-MariaDB", "db", "3306", "", 3};
  auto model = BuildModel(Flavor::kMariaDb, mariadb, {});
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_THAT(model->shards, SizeIs(1));
  EXPECT_EQ(model->shards[0].id, "3");
  EXPECT_FALSE(model->shards[0].commit_offset.has_value());

  ServerVariables mysql{"8.0.36", "db", "3306", "", std::nullopt};
  model = BuildModel(Flavor::kMySql, mysql, {});
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_THAT(model->shards, SizeIs(1));
  EXPECT_EQ(model->shards[0].id, "0");
  EXPECT_FALSE(model->shards[0].commit_offset.has_value());
}

TEST(BuildModel, BadGtidPositionIsAnErrorNamingTheVariable) {
  ServerVariables mariadb{"10.11.19-MariaDB", "db", "3306", "0-1", 0};
  auto model = BuildModel(Flavor::kMariaDb, mariadb, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(),
              HasSubstr("@@gtid_current_pos: GTID \"0-1\""));
  ServerVariables mysql{"8.0.36", "db", "3306", "nonsense", std::nullopt};
  model = BuildModel(Flavor::kMySql, mysql, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("@@gtid_executed"));
}

TEST(BuildModel, MySqlPrimaryAndReplica) {
  NodeModel primary = MySql("primary", "primary");
  NodeModel replica = MySql("replica", "replica");
  EXPECT_EQ(primary.version, "8.0.36");
  EXPECT_EQ(primary.node, "db1:3306");
  EXPECT_EQ(replica.node, "db2:3306");
  ASSERT_THAT(primary.shards, SizeIs(1));
  ASSERT_THAT(replica.shards, SizeIs(1));
  EXPECT_EQ(primary.shards[0].id, "0");
  EXPECT_EQ(primary.shards[0].role, Role::kPrimary);
  EXPECT_EQ(replica.shards[0].role, Role::kSecondary);
  EXPECT_EQ(Offset(primary, "0"), 5u);
  EXPECT_EQ(Offset(replica, "0"), 5u);
  ASSERT_THAT(replica.shards[0].lags, SizeIs(1));
  EXPECT_EQ(replica.shards[0].lags[0].value, 0);
}

TEST(BuildModel, MySqlReplicaConnectingToItsSourceIsRecovering) {
  NodeModel replica = MySql("replica", "replica_source_down");
  ASSERT_THAT(replica.shards, SizeIs(1));
  EXPECT_EQ(replica.shards[0].role, Role::kRecovering);
  EXPECT_TRUE(replica.shards[0].lags.empty());
}

TEST(BuildModel, MySqlOffsetCountsTransactionsOfEverySource) {
  // After a failover the set has the old and the new primary's UUIDs.
  NodeModel model = MySql("after_failover", "primary");
  EXPECT_EQ(Offset(model, "0"), 8u);
}

TEST(StatementError, MissingPrivilegeNamesIt) {
  // The error as mariadb printed it: "ERROR 1227 (42000) at line 1: <message>".
  std::string recorded =
      ReadFixture("show_all_slaves_status_10.11.19_no_slave_monitor.txt");
  size_t at = recorded.find("ERROR 1227 (42000) at line 1: ");
  ASSERT_NE(at, std::string::npos) << recorded;
  std::string message(absl::StripTrailingAsciiWhitespace(recorded.substr(
      at + std::string("ERROR 1227 (42000) at line 1: ").size())));
  absl::Status status =
      StatementError(Flavor::kMariaDb, "SHOW ALL SLAVES STATUS", 1227, message);
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("SHOW ALL SLAVES STATUS: Access denied"));
  EXPECT_THAT(status.message(), HasSubstr("(error 1227)"));
  EXPECT_THAT(status.message(),
              HasSubstr("the exporter's user needs SLAVE MONITOR"));

  absl::Status mysql =
      StatementError(Flavor::kMySql, "SHOW REPLICA STATUS", 1227,
                     "Access denied; you need (at least one of) the "
                     "SUPER, REPLICATION CLIENT privilege(s) for this "
                     "operation");
  EXPECT_TRUE(absl::IsPermissionDenied(mysql));
  EXPECT_THAT(mysql.message(), HasSubstr("needs REPLICATION CLIENT"));
}

TEST(StatementError, MissingPrivilegeForTheReplicaListNamesIt) {
  std::string recorded =
      ReadFixture("show_slave_hosts_10.11.19_slave_monitor_only.txt");
  size_t at = recorded.find("ERROR 1227 (42000) at line 1: ");
  ASSERT_NE(at, std::string::npos) << recorded;
  std::string message(absl::StripTrailingAsciiWhitespace(recorded.substr(
      at + std::string("ERROR 1227 (42000) at line 1: ").size())));
  absl::Status status =
      StatementError(Flavor::kMariaDb, "SHOW SLAVE HOSTS", 1227, message);
  EXPECT_TRUE(absl::IsPermissionDenied(status)) << status;
  EXPECT_THAT(status.message(),
              HasSubstr("the exporter's user needs REPLICATION MASTER ADMIN "
                        "(MariaDB 10.5.2 and later"));
  EXPECT_THAT(
      StatementError(Flavor::kMySql, "SHOW REPLICAS", 1227, "denied").message(),
      HasSubstr("needs REPLICATION SLAVE"));
}

TEST(StatementError, OtherErrorsNameTheStatement) {
  absl::Status status = StatementError(Flavor::kMariaDb, "SELECT @@x", 1193,
                                       "Unknown system variable 'x'");
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_EQ(status.message(),
            "SELECT @@x: Unknown system variable 'x' (error 1193)");
}

}  // namespace
}  // namespace dse::mysql
