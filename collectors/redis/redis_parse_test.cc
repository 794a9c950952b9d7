// Parser and mapping tests on replies recorded from redis-server 7.0.15
// (fixtures/record.sh says how).
#include "collectors/redis/redis_parse.h"

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::redis {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

NodeModel Model(const std::string& info_file,
                const std::string& nodes_file = "") {
  auto info = ParseInfo(ReadFixture(info_file));
  EXPECT_TRUE(info.ok()) << info.status();
  std::vector<ClusterNode> nodes;
  if (!nodes_file.empty()) {
    auto parsed = ParseClusterNodes(ReadFixture(nodes_file));
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    nodes = *parsed;
  }
  return ExpectOk(BuildModel(*info, nodes_file.empty() ? nullptr : &nodes,
                             MappingInput{"cache", "127.0.0.1:6379"}));
}

TEST(ParseInfo, ReadsFieldsOfAllSections) {
  auto info = ParseInfo(ReadFixture("info_7.0.15_primary.txt"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->at("redis_version"), "7.0.15");
  EXPECT_EQ(info->at("role"), "master");
  EXPECT_EQ(info->at("cluster_enabled"), "0");
}

TEST(ParseInfo, RejectsLineWithoutColon) {
  auto info = ParseInfo("# Server\r\nredis_version:7.0.15\r\ngarbage\r\n");
  ASSERT_FALSE(info.ok());
  EXPECT_THAT(info.status().message(), HasSubstr("INFO line 3"));
  EXPECT_THAT(info.status().message(), HasSubstr("garbage"));
}

TEST(BuildModel, Primary) {
  NodeModel model = Model("info_7.0.15_primary.txt");
  EXPECT_EQ(model.version, "7.0.15");
  EXPECT_EQ(model.node, "127.0.0.1:6379");
  ASSERT_THAT(model.shards, SizeIs(1));
  EXPECT_EQ(model.shards[0].id, "cache");
  EXPECT_EQ(model.shards[0].role, Role::kPrimary);
  ASSERT_TRUE(model.shards[0].commit_offset.has_value());
  EXPECT_EQ(model.shards[0].commit_offset->unit, "bytes");
  EXPECT_GT(model.shards[0].commit_offset->value, 0u);
  EXPECT_TRUE(model.shards[0].lags.empty());
}

TEST(BuildModel, CaughtUpReplicaHasPrimarysOffset) {
  NodeModel primary = Model("info_7.0.15_primary.txt");
  NodeModel replica = Model("info_7.0.15_replica.txt");
  ASSERT_THAT(replica.shards, SizeIs(1));
  EXPECT_EQ(replica.shards[0].role, Role::kSecondary);
  ASSERT_TRUE(replica.shards[0].commit_offset.has_value());
  EXPECT_EQ(replica.shards[0].commit_offset->value,
            primary.shards[0].commit_offset->value);
}

TEST(BuildModel, ReplicaLoadingFullSyncIsRecoveringWithoutOffset) {
  NodeModel model = Model("info_7.0.15_replica_syncing.txt");
  ASSERT_THAT(model.shards, SizeIs(1));
  EXPECT_EQ(model.shards[0].role, Role::kRecovering);
  EXPECT_FALSE(model.shards[0].commit_offset.has_value());
}

TEST(BuildModel, ReplicaWithLinkDownIsRecovering) {
  NodeModel model = Model("info_7.0.15_replica_link_down.txt");
  ASSERT_THAT(model.shards, SizeIs(1));
  EXPECT_EQ(model.shards[0].role, Role::kRecovering);
  // It never had data: its own stream offset is 0, so no commit offset.
  EXPECT_FALSE(model.shards[0].commit_offset.has_value());
}

TEST(BuildModel, MissingVersionIsAnError) {
  auto model = BuildModel(InfoFields{{"role", "master"}}, nullptr, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("redis_version"));
}

TEST(BuildModel, BadOffsetIsAnErrorNamingTheField) {
  auto model = BuildModel(InfoFields{{"redis_version", "7.0.15"},
                                     {"role", "master"},
                                     {"master_repl_offset", "x1"}},
                          nullptr, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("master_repl_offset"));
  EXPECT_THAT(model.status().message(), HasSubstr("\"x1\""));
}

TEST(ParseClusterNodes, ReadsNodesFlagsAndSlots) {
  auto nodes =
      ParseClusterNodes(ReadFixture("cluster_nodes_7.0.15_primary.txt"));
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_THAT(*nodes, SizeIs(6));
  int masters = 0, replicas = 0, myself = 0;
  for (const ClusterNode& node : *nodes) {
    masters += node.master;
    replicas += node.replica;
    myself += node.myself;
    if (node.master) {
      EXPECT_THAT(node.slots, SizeIs(1));
    } else {
      EXPECT_TRUE(node.slots.empty());
    }
  }
  EXPECT_EQ(masters, 3);
  EXPECT_EQ(replicas, 3);
  EXPECT_EQ(myself, 1);
}

TEST(ParseClusterNodes, IgnoresMigratingSlotsAndRejectsBadRanges) {
  auto nodes = ParseClusterNodes(
      "a 127.0.0.1:1@2 myself,master - 0 0 1 connected 0-10 12 [13->-b]\n");
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_EQ(SlotRangesId((*nodes)[0].slots), "0-10,12");
  auto bad = ParseClusterNodes(
      "a 127.0.0.1:1@2 myself,master - 0 0 1 connected 9-3\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("CLUSTER NODES line 1"));
  auto short_line = ParseClusterNodes("a b c\n");
  EXPECT_FALSE(short_line.ok());
}

TEST(BuildModel, ClusterPrimaryAndReplicaNameTheirShardBySlots) {
  NodeModel primary = Model("info_7.0.15_cluster_primary.txt",
                            "cluster_nodes_7.0.15_primary.txt");
  NodeModel replica = Model("info_7.0.15_cluster_replica.txt",
                            "cluster_nodes_7.0.15_replica.txt");
  ASSERT_THAT(primary.shards, SizeIs(1));
  ASSERT_THAT(replica.shards, SizeIs(1));
  EXPECT_EQ(primary.shards[0].role, Role::kPrimary);
  EXPECT_EQ(replica.shards[0].role, Role::kSecondary);
  EXPECT_THAT(primary.shards[0].id, ::testing::MatchesRegex("[0-9]+-[0-9]+"));
  EXPECT_THAT(replica.shards[0].id, ::testing::MatchesRegex("[0-9]+-[0-9]+"));
  EXPECT_EQ(primary.node.size(), 40u);  // The cluster's node ID.
  EXPECT_NE(primary.node, replica.node);
}

TEST(BuildModel, ClusterModeWithoutMyselfIsAnError) {
  auto info = ParseInfo(ReadFixture("info_7.0.15_cluster_primary.txt"));
  ASSERT_TRUE(info.ok());
  std::vector<ClusterNode> none;
  auto model = BuildModel(*info, &none, {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(), HasSubstr("myself"));
  EXPECT_FALSE(BuildModel(*info, nullptr, {}).ok());
}

}  // namespace
}  // namespace dse::redis
