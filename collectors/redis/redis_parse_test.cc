// Parser and mapping tests on replies recorded from redis-server 7.0.15
// (fixtures/record.sh says how).
#include "collectors/redis/redis_parse.h"

#include <optional>
#include <string>
#include <vector>

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::redis {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAreArray;

// The replies of one fixture pair: INFO and, when `nodes_file` is given,
// CLUSTER NODES.
struct Recorded {
  InfoFields info;
  std::optional<std::vector<ClusterNode>> nodes;
  const std::vector<ClusterNode>* nodes_or_null() const {
    return nodes ? &*nodes : nullptr;
  }
};

Recorded Load(const std::string& info_file, const std::string& nodes_file) {
  Recorded recorded;
  recorded.info = ExpectOk(ParseInfo(ReadFixture(info_file)), info_file);
  if (!nodes_file.empty()) {
    recorded.nodes =
        ExpectOk(ParseClusterNodes(ReadFixture(nodes_file)), nodes_file);
  }
  return recorded;
}

NodeModel Model(const std::string& info_file,
                const std::string& nodes_file = "") {
  Recorded recorded = Load(info_file, nodes_file);
  return ExpectOk(BuildModel(recorded.info, recorded.nodes_or_null(),
                             MappingInput{"cache", "127.0.0.1:6379"}));
}

std::vector<std::string> Members(const std::string& info_file,
                                 const std::string& nodes_file = "") {
  Recorded recorded = Load(info_file, nodes_file);
  return ExpectOk(MemberAddresses(recorded.info, recorded.nodes_or_null()));
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

TEST(ParseClusterNodes, ReadsAddressesHostnamesAndUnknownAddresses) {
  auto nodes =
      ParseClusterNodes(ReadFixture("cluster_nodes_7.0.15_degraded.txt"));
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  ASSERT_THAT(*nodes, SizeIs(7));
  // "127.0.0.1:35961@34957,node-3.example slave,fail"
  EXPECT_EQ((*nodes)[0].ip, "127.0.0.1");
  EXPECT_EQ((*nodes)[0].port, 35961);
  EXPECT_TRUE((*nodes)[0].failed);
  EXPECT_TRUE((*nodes)[1].handshake);
  // ":0@0,node-4.example slave,noaddr"
  EXPECT_EQ((*nodes)[5].ip, "");
  EXPECT_EQ((*nodes)[5].port, 0);
  EXPECT_TRUE((*nodes)[5].no_address);
  auto bad =
      ParseClusterNodes("a 127.0.0.1@2 myself,master - 0 0 1 connected\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(),
              HasSubstr("CLUSTER NODES line 1: bad address \"127.0.0.1@2\""));
}

TEST(MemberAddresses, PrimaryNamesItsReplica) {
  EXPECT_THAT(Members("info_7.0.15_primary.txt"),
              ElementsAre("127.0.0.1:44719"));
}

TEST(MemberAddresses, ReplicaNamesItsPrimaryLinkUpOrDown) {
  EXPECT_THAT(Members("info_7.0.15_replica.txt"),
              ElementsAre("127.0.0.1:47279"));
  std::vector<std::string> waiting =
      Members("info_7.0.15_replica_link_down.txt");
  ASSERT_THAT(waiting, SizeIs(1));
  EXPECT_THAT(waiting[0], ::testing::StartsWith("127.0.0.1:"));
}

TEST(MemberAddresses, ReplicasByTheirAnnouncedPortAndNoStreamWithoutOne) {
  // slave1 announces another port than its own (replica-announce-port);
  // slave2 is a redis-cli --replica stream (port=0), left out.
  EXPECT_THAT(Members("info_7.0.15_primary_two_replicas.txt"),
              ElementsAre("127.0.0.1:49797", "127.0.0.1:44369"));
}

TEST(MemberAddresses, ChainedReplicaNamesItsPrimaryThenItsReplica) {
  EXPECT_THAT(Members("info_7.0.15_replica_with_replica.txt"),
              ElementsAre("127.0.0.1:39661", "127.0.0.1:52703"));
}

TEST(MemberAddresses, ClusterModeNamesEveryNodeItselfIncluded) {
  const std::vector<std::string> all = {"127.0.0.1:46583", "127.0.0.1:50943",
                                        "127.0.0.1:38597", "127.0.0.1:47535",
                                        "127.0.0.1:36729", "127.0.0.1:40691"};
  EXPECT_THAT(Members("info_7.0.15_cluster_primary.txt",
                      "cluster_nodes_7.0.15_primary.txt"),
              UnorderedElementsAreArray(all));
  EXPECT_THAT(Members("info_7.0.15_cluster_replica.txt",
                      "cluster_nodes_7.0.15_replica.txt"),
              UnorderedElementsAreArray(all));
}

TEST(MemberAddresses, DegradedClusterKeepsFailedNodesOnly) {
  // The failed replica stays; the node in handshake and the one without an
  // address are left out; hostnames are not used.
  EXPECT_THAT(
      Members("info_7.0.15_cluster_primary.txt",
              "cluster_nodes_7.0.15_degraded.txt"),
      ElementsAre("127.0.0.1:35961", "127.0.0.1:44015", "127.0.0.1:47967",
                  "127.0.0.1:50341", "127.0.0.1:58397"));
}

TEST(MemberAddresses, Ipv6AddressesInBrackets) {
  const InfoFields standalone = {
      {"role", "slave"},
      {"master_host", "::1"},
      {"master_port", "6379"},
      {"slave0", "ip=::1,port=6381,state=online,offset=1,lag=0"}};
  EXPECT_THAT(ExpectOk(MemberAddresses(standalone, nullptr)),
              ElementsAre("[::1]:6379", "[::1]:6381"));
  const auto nodes = ExpectOk(ParseClusterNodes(
      "a ::1:7000@17000 myself,master - 0 0 1 connected 0-16383\n"));
  EXPECT_THAT(ExpectOk(MemberAddresses({{"cluster_enabled", "1"}}, &nodes)),
              ElementsAre("[::1]:7000"));
}

TEST(MemberAddresses, BadFieldsAreErrorsNamingThem) {
  auto no_port = MemberAddresses(
      {{"role", "master"}, {"slave0", "ip=127.0.0.1,state=online"}}, nullptr);
  ASSERT_FALSE(no_port.ok());
  EXPECT_THAT(no_port.status().message(),
              HasSubstr("INFO field slave0: expected ip and port"));
  auto bad_port = MemberAddresses(
      {{"master_host", "10.0.0.1"}, {"master_port", "x"}}, nullptr);
  ASSERT_FALSE(bad_port.ok());
  EXPECT_THAT(bad_port.status().message(),
              HasSubstr("INFO field master_port: bad value \"x\""));
  // Cluster mode needs CLUSTER NODES.
  EXPECT_FALSE(MemberAddresses({{"cluster_enabled", "1"}}, nullptr).ok());
}

}  // namespace
}  // namespace dse::redis
