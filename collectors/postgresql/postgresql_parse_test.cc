// Parser and mapping tests on results of status.sql recorded from
// PostgreSQL 15.18 and of members.sql recorded from 15.20
// (fixtures/record.sh says how).
#include "collectors/postgresql/postgresql_parse.h"

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::postgresql {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Gt;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Optional;
using ::testing::SizeIs;

Row Fixture(const std::string& name) {
  return ExpectOk(ParseRecordedRow(ReadFixture(name)), name);
}

ServerStatus Status(const std::string& name) {
  return ExpectOk(ParseStatus(Fixture(name)), name);
}

NodeModel Model(const std::string& name) {
  return ExpectOk(BuildModel(Status(name)), name);
}

// The lag in `unit`, or NaN when absent.
double LagIn(const Shard& shard, const std::string& unit) {
  for (const Lag& lag : shard.lags) {
    if (lag.unit == unit) return lag.value;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

TEST(ParseRecordedRow, ReadsValuesEmptyStringsAndNulls) {
  auto row = ParseRecordedRow("a\tx y\nb\t\nc\t\\N\n");
  ASSERT_TRUE(row.ok()) << row.status();
  EXPECT_EQ(row->at("a"), "x y");
  EXPECT_EQ(row->at("b"), "");
  EXPECT_EQ(row->at("c"), std::nullopt);
  EXPECT_THAT(ParseRecordedRow("a\tx\nno tab\n").status().message(),
              HasSubstr("line 2"));
}

TEST(ParseLsn, ReadsBothHalves) {
  EXPECT_EQ(ParseLsn("0/0").value(), 0u);
  EXPECT_EQ(ParseLsn("0/3025A50").value(), 0x3025A50u);
  EXPECT_EQ(ParseLsn("16/B374D848").value(), 0x16B374D848u);
  EXPECT_EQ(ParseLsn("ffffffff/FFFFFFFF").value(),
            std::numeric_limits<uint64_t>::max());
}

TEST(ParseLsn, RejectsOtherForms) {
  for (const char* bad : {"", "16", "/1", "1/", "1/2/3", "123456789/0", "g/0",
                          "-1/0", "+1/0", "0x1/0", "1 /0", "1/0 "}) {
    EXPECT_FALSE(ParseLsn(bad).ok()) << bad;
  }
}

TEST(ParseStatus, Primary) {
  ServerStatus status = Status("status_15.18_primary.txt");
  EXPECT_EQ(status.system_identifier, "7712391770603918842");
  EXPECT_EQ(status.cluster_name, "node-a");
  EXPECT_EQ(status.server_version, "15.18 (Debian 15.18-0+deb12u1)");
  EXPECT_FALSE(status.in_recovery);
  EXPECT_EQ(status.flush_lsn, 0x3025A50u);
  EXPECT_FALSE(status.replay_lsn.has_value());
  EXPECT_FALSE(status.receive_lsn.has_value());
  EXPECT_FALSE(status.last_replay_epoch.has_value());
  EXPECT_GT(status.now_epoch, 1e9);
  EXPECT_FALSE(status.wal_receiver_running);
  EXPECT_FALSE(status.wal_receiver_status.has_value());
}

TEST(ParseStatus, ErrorsNameTheColumn) {
  Row row = Fixture("status_15.18_primary.txt");
  row.erase("in_recovery");
  EXPECT_THAT(ParseStatus(row).status().message(),
              HasSubstr("no column \"in_recovery\""));

  row = Fixture("status_15.18_primary.txt");
  row["flush_lsn"] = "12345";
  EXPECT_THAT(ParseStatus(row).status().message(),
              HasSubstr("status column flush_lsn: bad value \"12345\""));

  row = Fixture("status_15.18_primary.txt");
  row["in_recovery"] = "yes";
  EXPECT_THAT(ParseStatus(row).status().message(),
              HasSubstr("in_recovery: bad value \"yes\""));

  row = Fixture("status_15.18_primary.txt");
  row["system_identifier"] = std::nullopt;
  EXPECT_THAT(ParseStatus(row).status().message(),
              HasSubstr("system_identifier is NULL"));
}

TEST(BuildModel, Primary) {
  NodeModel model = Model("status_15.18_primary.txt");
  EXPECT_EQ(model.cluster_id, "7712391770603918842");
  EXPECT_EQ(model.node, "node-a");
  EXPECT_EQ(model.version, "15.18");
  const Shard shard = ExpectOneShard(model, "7712391770603918842",
                                     Role::kPrimary, "bytes", 0x3025A50u);
  EXPECT_TRUE(shard.lags.empty());
}

TEST(BuildModel, IdleCaughtUpStandbyHasZeroLagAlthoughItsLastReplayIsOld) {
  ServerStatus status = Status("status_15.18_standby_idle.txt");
  // The last replayed commit is 2 s old: the naive replay delay would be 2 s.
  ASSERT_TRUE(status.last_replay_epoch.has_value());
  EXPECT_GT(status.now_epoch - *status.last_replay_epoch, 1.5);

  NodeModel primary = Model("status_15.18_primary.txt");
  NodeModel model = Model("status_15.18_standby_idle.txt");
  EXPECT_EQ(model.cluster_id, primary.cluster_id);
  EXPECT_EQ(model.node, "");  // No cluster_name: the configured name is used.
  EXPECT_EQ(model.version, "15.18");
  ASSERT_THAT(model.shards, SizeIs(1));
  const Shard& shard = model.shards[0];
  EXPECT_EQ(shard.id, primary.shards[0].id);
  EXPECT_EQ(shard.role, Role::kSecondary);
  ASSERT_TRUE(shard.commit_offset.has_value());
  EXPECT_EQ(shard.commit_offset->unit, "bytes");
  EXPECT_EQ(shard.commit_offset->value, primary.shards[0].commit_offset->value);
  ASSERT_THAT(shard.lags, SizeIs(2));
  EXPECT_EQ(LagIn(shard, "bytes"), 0);
  EXPECT_EQ(LagIn(shard, "seconds"), 0);
}

TEST(BuildModel, PausedStandbyLagsInBytesAndSeconds) {
  ServerStatus status = Status("status_15.18_standby_paused.txt");
  NodeModel model = Model("status_15.18_standby_paused.txt");
  ASSERT_THAT(model.shards, SizeIs(1));
  const Shard& shard = model.shards[0];
  EXPECT_EQ(shard.role, Role::kSecondary);            // Still streaming.
  EXPECT_EQ(shard.commit_offset->value, 0x3025A50u);  // Replayed so far.
  EXPECT_EQ(LagIn(shard, "bytes"), 0x30C25E0 - 0x3025A50);
  // The age of the last replayed commit (an upper bound of staleness).
  EXPECT_THAT(LagIn(shard, "seconds"),
              DoubleNear(status.now_epoch - *status.last_replay_epoch, 1e-6));
  EXPECT_THAT(LagIn(shard, "seconds"), Gt(2.0));
}

TEST(BuildModel, StandbyWithoutStreamingIsRecoveringWithoutLag) {
  NodeModel model = Model("status_15.18_standby_primary_stopped.txt");
  ASSERT_THAT(model.shards, SizeIs(1));
  const Shard& shard = model.shards[0];
  EXPECT_EQ(shard.role, Role::kRecovering);
  ASSERT_TRUE(shard.commit_offset.has_value());
  EXPECT_EQ(shard.commit_offset->value, 0x30C2658u);
  // It cannot know what it is missing: unknown, hence absent.
  EXPECT_TRUE(shard.lags.empty());
}

TEST(BuildModel, PromotedStandbyIsPrimaryWithItsFlushLsn) {
  NodeModel stopped = Model("status_15.18_standby_primary_stopped.txt");
  NodeModel model = Model("status_15.18_promoted.txt");
  EXPECT_EQ(model.cluster_id, stopped.cluster_id);
  ASSERT_THAT(model.shards, SizeIs(1));
  const Shard& shard = model.shards[0];
  EXPECT_EQ(shard.id, stopped.shards[0].id);
  EXPECT_EQ(shard.role, Role::kPrimary);
  EXPECT_EQ(shard.commit_offset->value, 0x30C2688u);
  EXPECT_GE(shard.commit_offset->value, stopped.shards[0].commit_offset->value);
  EXPECT_TRUE(shard.lags.empty());
}

TEST(BuildModel, RoleWithoutPgMonitorIsAnErrorNotAGuess) {
  auto model =
      BuildModel(Status("status_15.18_standby_without_pg_monitor.txt"));
  ASSERT_FALSE(model.ok());
  EXPECT_TRUE(absl::IsPermissionDenied(model.status()));
  EXPECT_THAT(model.status().message(), HasSubstr("pg_monitor"));
}

TEST(BuildModel, ReceiverBehindReplayIsCaughtUp) {
  // A restarted WAL receiver starts at the beginning of a segment.
  ServerStatus status = Status("status_15.18_standby_idle.txt");
  status.receive_lsn = *status.replay_lsn - 0x100;
  auto model = BuildModel(status);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(LagIn(model->shards[0], "bytes"), 0);
  EXPECT_EQ(LagIn(model->shards[0], "seconds"), 0);
}

TEST(BuildModel, SecondsUnknownBeforeAnyReplayedCommit) {
  ServerStatus status = Status("status_15.18_standby_paused.txt");
  status.last_replay_epoch.reset();
  auto model = BuildModel(status);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_GT(LagIn(model->shards[0], "bytes"), 0);
  EXPECT_TRUE(std::isnan(LagIn(model->shards[0], "seconds")));
}

TEST(BuildModel, ClockSkewNeverGivesNegativeSeconds) {
  ServerStatus status = Status("status_15.18_standby_paused.txt");
  status.last_replay_epoch = status.now_epoch + 30;
  auto model = BuildModel(status);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(LagIn(model->shards[0], "seconds"), 0);
}

MemberReport Members(const std::string& name) {
  return ExpectOk(ParseMemberReport(Fixture(name)), name);
}

TEST(ParseMemberReport, PrimaryNamesItsStandbysHost) {
  MemberReport report = Members("members_15.20_primary.txt");
  EXPECT_FALSE(report.sender_host.has_value());
  EXPECT_FALSE(report.primary_conninfo.has_value());
  EXPECT_THAT(report.standby_hosts, ElementsAre("127.0.0.1"));
  // The port is not PostgreSQL's to tell: the option's.
  EXPECT_THAT(MemberAddresses(report, {}, 5432), ElementsAre("127.0.0.1:5432"));
  EXPECT_THAT(MemberAddresses(report, {}, 6543), ElementsAre("127.0.0.1:6543"));
}

TEST(ParseMemberReport, StreamingStandbyNamesTheServerItStreamsFrom) {
  MemberReport report = Members("members_15.20_standby.txt");
  EXPECT_EQ(report.sender_host, "127.0.0.1");
  EXPECT_EQ(report.sender_port, 56915);
  EXPECT_THAT(report.primary_conninfo, Optional(HasSubstr("port=56915")));
  EXPECT_THAT(report.standby_hosts, IsEmpty());
  // The connected sender wins over what primary_conninfo names.
  EXPECT_THAT(MemberAddresses(report, {{"10.0.0.9", 5432}}, 5432),
              ElementsAre("127.0.0.1:56915"));
}

TEST(ParseMemberReport, StandbyOfAStoppedPrimaryNamesItsConfiguredPrimary) {
  MemberReport report = Members("members_15.20_standby_primary_stopped.txt");
  EXPECT_FALSE(report.sender_host.has_value());
  ASSERT_TRUE(report.primary_conninfo.has_value());
  EXPECT_THAT(MemberAddresses(report, {{"127.0.0.1", 56915}}, 5432),
              ElementsAre("127.0.0.1:56915"));
}

TEST(ParseMemberReport, PromotedServerFollowsNobodyAndHasNoStandbyYet) {
  // Its primary_conninfo is still set (postgresql.auto.conf): not read.
  MemberReport report = Members("members_15.20_promoted.txt");
  EXPECT_FALSE(report.sender_host.has_value());
  EXPECT_FALSE(report.primary_conninfo.has_value());
  EXPECT_THAT(report.standby_hosts, IsEmpty());
  EXPECT_THAT(MemberAddresses(report, {}, 5432), IsEmpty());
}

TEST(ParseMemberReport, WalArchiverAndLogicalSubscriberAreNoStandbys) {
  // Recorded while pg_stat_replication had three rows: the standby,
  // pg_receivewal and a logical subscription.
  MemberReport report =
      Members("members_15.20_primary_with_archiver_and_subscriber.txt");
  EXPECT_THAT(report.standby_hosts, ElementsAre("127.0.0.1"));
}

TEST(ParseMemberReport, CascadingStandbyNamesUpstreamThenDownstream) {
  MemberReport report = Members("members_15.20_cascading_standby.txt");
  EXPECT_THAT(MemberAddresses(report, {}, 5432),
              ElementsAre("127.0.0.1:51921", "127.0.0.1:5432"));
}

TEST(ParseMemberReport, RoleWithoutPgMonitorIsAnErrorNotAnEmptyList) {
  auto report = ParseMemberReport(
      Fixture("members_15.20_primary_without_pg_monitor.txt"));
  EXPECT_EQ(report.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(report.status().message(), HasSubstr("grant it pg_monitor"));
}

TEST(ParseMemberReport, ErrorsNameTheColumn) {
  Row row = Fixture("members_15.20_standby.txt");
  Row missing = row;
  missing.erase("standby_hosts");
  EXPECT_THAT(ParseMemberReport(missing).status().message(),
              HasSubstr("members row has no column \"standby_hosts\""));
  for (const char* bad : {"0", "65536", "x", ""}) {
    Row wrong = row;
    wrong["sender_port"] = bad;
    EXPECT_THAT(ParseMemberReport(wrong).status().message(),
                HasSubstr("members column sender_port: bad value"))
        << bad;
  }
}

TEST(MemberAddresses, UnixSocketsNameNobodyAndIpv6IsBracketed) {
  MemberReport report;
  report.sender_host = "/var/run/postgresql";
  report.sender_port = 5432;
  report.standby_hosts = {"::1", "10.0.0.6", "10.0.0.6"};
  // Connected over a socket: no fallback to primary_conninfo either.
  EXPECT_THAT(MemberAddresses(report, {{"10.0.0.5", 5432}}, 5433),
              ElementsAre("[::1]:5433", "10.0.0.6:5433"));
}

TEST(ConninfoServers, HostsAndPortsAsLibpqPairsThem) {
  using Keywords = std::map<std::string, std::string>;
  auto addresses = [](const Keywords& keywords) {
    std::vector<std::string> out;
    for (const HostPort& server : ConninfoServers(keywords)) {
      out.push_back(server.host + ":" + std::to_string(server.port));
    }
    return out;
  };
  EXPECT_THAT(addresses({{"host", "127.0.0.1"}, {"port", "5433"}}),
              ElementsAre("127.0.0.1:5433"));
  EXPECT_THAT(addresses({{"host", "pg-a.example"}}),
              ElementsAre("pg-a.example:5432"));
  // One port serves every host; otherwise one port per host, empty for the
  // default.
  EXPECT_THAT(addresses({{"host", "a,b"}, {"port", "5433"}}),
              ElementsAre("a:5433", "b:5433"));
  EXPECT_THAT(addresses({{"host", "a,b"}, {"port", "5433,"}}),
              ElementsAre("a:5433", "b:5432"));
  // The host names the server (as PQhost does); hostaddr when there is none.
  EXPECT_THAT(addresses({{"host", "pg-a"}, {"hostaddr", "10.0.0.5"}}),
              ElementsAre("pg-a:5432"));
  EXPECT_THAT(addresses({{"hostaddr", "10.0.0.5"}}),
              ElementsAre("10.0.0.5:5432"));
  // Unix sockets, the default socket, and what libpq refuses name nobody.
  EXPECT_THAT(addresses({{"host", "/var/run/postgresql,10.0.0.6"},
                         {"port", "5432,5433"}}),
              ElementsAre("10.0.0.6:5433"));
  EXPECT_THAT(addresses({{"host", "@abstract"}}), IsEmpty());
  EXPECT_THAT(addresses({{"port", "5433"}}), IsEmpty());
  EXPECT_THAT(addresses({}), IsEmpty());
  EXPECT_THAT(addresses({{"host", "a,b,c"}, {"port", "1,2"}}), IsEmpty());
  EXPECT_THAT(addresses({{"host", "a,b"}, {"hostaddr", "10.0.0.5"}}),
              IsEmpty());
  EXPECT_THAT(addresses({{"host", "a"}, {"port", "70000"}}), IsEmpty());
}

}  // namespace
}  // namespace dse::postgresql
