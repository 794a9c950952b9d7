// Parser and mapping tests on results of status.sql recorded from
// PostgreSQL 15.18 (fixtures/record.sh says how).
#include "collectors/postgresql/postgresql_parse.h"

#include <limits>

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::postgresql {
namespace {

using ::testing::DoubleNear;
using ::testing::Gt;
using ::testing::HasSubstr;
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

}  // namespace
}  // namespace dse::postgresql
