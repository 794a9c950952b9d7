// Parser and mapping tests on replies recorded from a RabbitMQ 3.10.8
// cluster (c1: rabbit1, rabbit2, rabbit3) and a single node (solo);
// fixtures/README.md says how and what each scenario is. "detailed_*" are
// /metrics/detailed?family=ra_metrics&family=queue_coarse_metrics (the
// collector asks each family in its own request, the second only when the
// queue list does not come in time), "queues_disable_stats_*" the queue list
// the collector asks (plus the "online" column, ignored), "queues_*" the same
// with statistics.
#include "collectors/rabbitmq/rabbitmq_parse.h"

#include <map>
#include <string>
#include <vector>

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::rabbitmq {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr char kClusterId[] = "rabbitmq-cluster-id-2Q7YieBxuJo0g-ryqxNirw";

NodeMetrics Metrics(const std::string& scenario) {
  return ExpectOk(
      ParseDetailedMetrics(ReadFixture("detailed_3.10.8_" + scenario + ".txt")),
      scenario);
}

// The queue list the collector asks (disable_stats=true).
std::vector<Queue> Queues(const std::string& scenario) {
  return ExpectOk(ParseQueues(ReadFixture("queues_disable_stats_3.10.8_" +
                                          scenario + ".json")),
                  scenario);
}

// The same list with statistics (never asked by the collector).
std::vector<Queue> QueuesWithStatistics(const std::string& scenario) {
  return ExpectOk(
      ParseQueues(ReadFixture("queues_3.10.8_" + scenario + ".json")),
      scenario);
}

// Shard ID -> "role (detail) at offset", the whole of what a shard tells.
std::map<std::string, std::string> Roles(const NodeModel& model) {
  return ShardRoles(model, "raft_index");
}

// The roles of the node of `metrics` with the queue list `queues`.
std::map<std::string, std::string> Roles(const std::string& metrics,
                                         const std::vector<Queue>& queues) {
  return Roles(BuildModel(Metrics(metrics), queues));
}

using RoleMap = std::map<std::string, std::string>;

// The identity of rabbit1 of the recorded cluster c1, whatever the roles
// came from.
void ExpectRabbit1OfC1(const NodeModel& model) {
  EXPECT_EQ(model.cluster_id, kClusterId);
  EXPECT_EQ(model.cluster_display_name, "c1");
  EXPECT_EQ(model.node, "rabbit1@localhost");
  EXPECT_EQ(model.version, "3.10.8");
}

TEST(ParseDetailedMetrics, IdentityVersionAndRaftCommitIndexes) {
  NodeMetrics metrics = Metrics("leader");
  EXPECT_EQ(metrics.cluster_id, kClusterId);
  EXPECT_EQ(metrics.cluster_name, "c1");
  EXPECT_EQ(metrics.node, "rabbit1@localhost");
  EXPECT_EQ(metrics.version, "3.10.8");
  // The unlabelled series (the stream coordinator's Raft cluster) are not
  // queues.
  EXPECT_THAT(metrics.commit_index, ElementsAre(Pair(QueueId("/", "qq1"), 102),
                                                Pair(QueueId("/", "qq2"), 62)));
  // queue_coarse_metrics: the queue it leads and its classic queue.
  EXPECT_THAT(metrics.leading,
              ElementsAre(QueueId("/", "c1"), QueueId("/", "qq1")));
}

TEST(ParseDetailedMetrics, UnlabelledRaftSeriesAreSkippedWhenNotZero) {
  // After the stream's writer moved, the coordinator's series show commit
  // index 29 (rabbit1) and 48 (rabbit2): still no queue.
  for (const char* scenario :
       {"restarted", "stopped_member_follower", "stopped_member_leader"}) {
    EXPECT_THAT(Metrics(scenario).commit_index,
                ElementsAre(Pair(QueueId("/", "qq1"), 103),
                            Pair(QueueId("/", "qq2"), 63)))
        << scenario;
  }
}

TEST(ParseDetailedMetrics, EveryNodeOfTheClusterHasTheSameIdentity) {
  for (const auto& [scenario, node] :
       std::map<std::string, std::string>{{"leader", "rabbit1@localhost"},
                                          {"follower", "rabbit2@localhost"},
                                          {"writer", "rabbit3@localhost"}}) {
    NodeMetrics metrics = Metrics(scenario);
    EXPECT_EQ(metrics.cluster_id, kClusterId) << scenario;
    EXPECT_EQ(metrics.cluster_name, "c1") << scenario;
    EXPECT_EQ(metrics.node, node) << scenario;
  }
  NodeMetrics solo = Metrics("single");
  EXPECT_EQ(solo.cluster_id, "rabbitmq-cluster-id-joDmF-HOZZDRIe9CcPIabA");
  EXPECT_EQ(solo.cluster_name, "solo");
  EXPECT_EQ(solo.node, "solo@localhost");
}

TEST(ParseQueues, RecordsOfEveryType) {
  std::vector<Queue> queues = Queues("cluster");
  ASSERT_EQ(queues.size(), 4u);
  EXPECT_EQ(queues[0].name, "c1");
  EXPECT_EQ(queues[0].type, "classic");
  EXPECT_EQ(queues[0].node, "rabbit1@localhost");
  EXPECT_EQ(queues[1].vhost, "/");
  EXPECT_EQ(queues[1].name, "qq1");
  EXPECT_EQ(queues[1].type, "quorum");
  EXPECT_EQ(queues[1].leader, "rabbit1@localhost");
  EXPECT_EQ(queues[1].node, "");
  EXPECT_THAT(queues[1].members,
              ElementsAre("rabbit1@localhost", "rabbit3@localhost",
                          "rabbit2@localhost"));
  // Without statistics a stream has only its writer.
  EXPECT_EQ(queues[3].name, "s1");
  EXPECT_EQ(queues[3].type, "stream");
  EXPECT_EQ(queues[3].node, "rabbit3@localhost");
  EXPECT_FALSE(queues[3].leader.has_value());
  EXPECT_THAT(queues[3].members, IsEmpty());
}

TEST(ParseQueues, NullLeaderDuringAnElection) {
  std::vector<Queue> queues = Queues("leader_killed");
  ASSERT_EQ(queues.size(), 4u);
  EXPECT_EQ(queues[1].name, "qq1");
  EXPECT_FALSE(queues[1].leader.has_value());
  EXPECT_EQ(queues[2].leader, "rabbit2@localhost");
}

TEST(ParseQueues, RepeatedOnlineOfStatisticsIsIgnored) {
  // With statistics, qq2 (leader_killed, new_leader) and qq1, qq2
  // (stopped_member) give "online" twice, the second copy stale: the field
  // is not read, so the list parses.
  for (const char* scenario :
       {"leader_killed", "new_leader", "stopped_member"}) {
    EXPECT_EQ(QueuesWithStatistics(scenario).size(), 4u) << scenario;
  }
}

TEST(ParseQueues, RepeatedFieldThatIsReadIsAnError) {
  auto queues =
      ParseQueues(R"([{"name":"c1","vhost":"/","type":"classic"},)"
                  R"({"name":"qq1","vhost":"/","type":"quorum","leader":"a@h",)"
                  R"("online":[],"online":[],"leader":"b@h"}])");
  ASSERT_FALSE(queues.ok());
  EXPECT_EQ(queues.status().message(),
            "queues reply: [1]: field \"leader\" given twice");
  // Keys of nested objects and of other elements do not count.
  EXPECT_TRUE(ParseQueues(R"([{"name":"a","vhost":"/","type":"quorum",)"
                          R"("x":{"name":1,"name":2}},)"
                          R"({"name":"b","vhost":"/","type":"quorum"}])")
                  .ok());
}

TEST(BuildModel, LeaderOfQq1FollowsQq2) {
  NodeModel model = BuildModel(Metrics("leader"), Queues("cluster"));
  ExpectRabbit1OfC1(model);
  // s1 (written by rabbit3) is not listed: without statistics the list does
  // not name a stream's replicas. c1 is classic: no shard.
  EXPECT_EQ(Roles(model), (RoleMap{{"//qq1", "primary at 102"},
                                   {"//qq2", "secondary at 62"}}));
}

TEST(BuildModel, FollowerOfQq1LeadsQq2) {
  EXPECT_EQ(
      Roles("follower", Queues("cluster")),
      (RoleMap{{"//qq1", "secondary at 102"}, {"//qq2", "primary at 62"}}));
}

TEST(BuildModel, StreamWriterIsItsPrimaryWithoutOffset) {
  NodeModel model = BuildModel(Metrics("writer"), Queues("cluster"));
  EXPECT_EQ(Roles(model), (RoleMap{{"//qq1", "secondary at 102"},
                                   {"//qq2", "secondary at 62"},
                                   {"//s1", "primary"}}));
}

TEST(BuildModel, EveryShardHasOnePrimaryAndOneOffsetAcrossTheCluster) {
  std::map<std::string, int> primaries;
  std::map<std::string, std::vector<uint64_t>> offsets;
  for (const char* scenario : {"leader", "follower", "writer"}) {
    NodeModel model = BuildModel(Metrics(scenario), Queues("cluster"));
    EXPECT_EQ(model.cluster_id, kClusterId) << scenario;
    for (const Shard& shard : model.shards) {
      if (shard.role == Role::kPrimary) ++primaries[shard.id];
      if (shard.commit_offset.has_value()) {
        offsets[shard.id].push_back(shard.commit_offset->value);
      }
    }
  }
  EXPECT_EQ(primaries, (std::map<std::string, int>{
                           {"//qq1", 1}, {"//qq2", 1}, {"//s1", 1}}));
  EXPECT_THAT(offsets["//qq1"], ElementsAre(102, 102, 102));
  EXPECT_THAT(offsets["//qq2"], ElementsAre(62, 62, 62));
  EXPECT_THAT(offsets["//s1"], IsEmpty());
}

TEST(BuildModel, ListWithStatisticsNamesTheStreamsReplicas) {
  // Not what the collector asks, but a list naming a stream's members makes
  // its replicas secondaries.
  EXPECT_EQ(Roles("leader", QueuesWithStatistics("cluster")),
            (RoleMap{{"//qq1", "primary at 102"},
                     {"//qq2", "secondary at 62"},
                     {"//s1", "secondary"}}));
}

TEST(BuildModel, ElectionAfterTheLeaderWasKilled) {
  // rabbit2 at once after rabbit1's SIGKILL: qq1 has no leader (the metrics
  // still show term 1 at 102), qq2 is still rabbit2's.
  EXPECT_EQ(Roles("leader_killed", Queues("leader_killed")),
            (RoleMap{{"//qq1", "unknown (no leader) at 102"},
                     {"//qq2", "primary at 62"}}));
}

TEST(BuildModel, NewLeaderBeforeAndAfterTheMetricsRefresh) {
  // rabbit3 named rabbit2 leader of qq1 0.40 s after the kill. rabbit2 is
  // primary at once, its metrics still at term 1 and 102; 5.4 s after the
  // kill they show the new leader's first entry, 103.
  const std::vector<Queue> queues = Queues("new_leader");
  EXPECT_EQ(Roles("new_leader_elected", queues),
            (RoleMap{{"//qq1", "primary at 102"}, {"//qq2", "primary at 62"}}));
  EXPECT_EQ(Roles("new_leader", queues),
            (RoleMap{{"//qq1", "primary at 103"}, {"//qq2", "primary at 62"}}));
  EXPECT_EQ(Roles("dead_node_follower", queues),
            (RoleMap{{"//qq1", "secondary at 103"},
                     {"//qq2", "secondary at 62"},
                     {"//s1", "primary"}}));
}

TEST(BuildModel, DeadNodeStaysAMemberOfItsQueues) {
  // The survivors' list (with statistics) still names the dead rabbit1 as a
  // member: the survivors' shards are unchanged by it.
  const std::vector<Queue> queues = QueuesWithStatistics("dead_node");
  EXPECT_EQ(Roles("new_leader", queues), (RoleMap{{"//qq1", "primary at 103"},
                                                  {"//qq2", "primary at 62"},
                                                  {"//s1", "secondary"}}));
}

TEST(BuildModel, StoppedMemberOfEveryQueue) {
  // rabbit3 (writer of s1) stopped: rabbit1 writes s1 and leads qq2 (taken
  // when it came back), rabbit2 leads qq1.
  const std::vector<Queue> queues = Queues("stopped_member");
  EXPECT_EQ(
      Roles("stopped_member_leader", queues),
      (RoleMap{{"//qq1", "primary at 103"}, {"//qq2", "secondary at 63"}}));
  EXPECT_EQ(Roles("stopped_member_follower", queues),
            (RoleMap{{"//qq1", "secondary at 103"},
                     {"//qq2", "primary at 63"},
                     {"//s1", "primary"}}));
}

TEST(BuildModel, SingleNodeLeadsItsQueueAndWritesItsStream) {
  NodeModel model =
      BuildModel(Metrics("single"), QueuesWithStatistics("single"));
  EXPECT_EQ(model.cluster_id, "rabbitmq-cluster-id-joDmF-HOZZDRIe9CcPIabA");
  EXPECT_EQ(model.cluster_display_name, "solo");
  EXPECT_EQ(model.node, "solo@localhost");
  EXPECT_EQ(Roles(model),
            (RoleMap{{"//qq1", "primary at 11"}, {"//s1", "primary"}}));
}

TEST(BuildModel, MembershipFromTheListNotFromStaleSeries) {
  NodeMetrics metrics = Metrics("leader");  // rabbit1, series for qq1, qq2.
  std::vector<Queue> queues = Queues("cluster");
  // rabbit1 removed from qq2's members: its series (up to 5 s old) do not
  // make it a member.
  queues[2].members = {"rabbit2@localhost", "rabbit3@localhost"};
  // A queue declared since the last refresh: no series yet, no offset.
  Queue fresh = queues[1];
  fresh.name = "qq3";
  queues.push_back(fresh);
  // A list naming no members: the series tell membership.
  queues[1].members.clear();
  EXPECT_EQ(Roles(BuildModel(metrics, queues)),
            (RoleMap{{"//qq1", "primary at 102"}, {"//qq3", "primary"}}));
}

TEST(BuildModel, StreamMemberWithoutWriterIsUnknown) {
  NodeMetrics metrics = Metrics("leader");
  std::vector<Queue> queues = QueuesWithStatistics("cluster");
  queues[3].node.clear();
  EXPECT_EQ(Roles(BuildModel(metrics, queues))["//s1"], "unknown (no writer)");
}

TEST(BuildModel, ShardIdsKeepVhostAndNameAsGiven) {
  NodeMetrics metrics;
  metrics.node = "rabbit@h";
  metrics.commit_index[QueueId("orders", "eu/west")] = 5;
  Queue queue{"orders", "eu/west", "quorum", "rabbit@h", "", {"rabbit@h"}};
  ExpectOneShard(BuildModel(metrics, {queue}), "orders/eu/west", Role::kPrimary,
                 kRaftIndexUnit, 5);
}

TEST(StreamIds, OnlyStreams) {
  EXPECT_THAT(StreamIds(Queues("cluster")), ElementsAre(QueueId("/", "s1")));
}

// The metrics-only model of the node of `metrics`, knowing the stream s1.
std::map<std::string, std::string> RolesFromMetrics(
    const std::string& metrics) {
  return Roles(BuildModelFromMetrics(Metrics(metrics), {QueueId("/", "s1")}));
}

TEST(UnlistedVhosts, VhostsOfTheNodesRaftSeriesThatTheListLacks) {
  NodeMetrics metrics = Metrics("leader");  // Series for //qq1, //qq2.
  // The whole list, or any one queue of the vhost: nothing lacks.
  EXPECT_THAT(UnlistedVhosts(metrics, Queues("cluster")), IsEmpty());
  EXPECT_THAT(UnlistedVhosts(metrics, {Queues("cluster")[0]}), IsEmpty());
  // A user without permissions on "/" gets an empty list (checked on a
  // live 3.10.8 node).
  EXPECT_THAT(UnlistedVhosts(metrics, {}), ElementsAre("/"));
  metrics.commit_index[QueueId("orders", "eu")] = 3;
  EXPECT_THAT(UnlistedVhosts(metrics, Queues("cluster")),
              ElementsAre("orders"));
}

TEST(BuildModelFromMetrics, LeadersAsOfTheLastRefresh) {
  NodeModel model = BuildModelFromMetrics(Metrics("leader"), {});
  ExpectRabbit1OfC1(model);
  // c1, in rabbit1's queue_coarse_metrics too, is neither quorum nor a
  // known stream: no shard.
  EXPECT_EQ(Roles(model), (RoleMap{{"//qq1", "primary at 102"},
                                   {"//qq2", "secondary at 62"}}));
  // The same roles as from the queue list, once settled.
  for (const char* scenario : {"leader", "follower", "writer"}) {
    EXPECT_EQ(RolesFromMetrics(scenario), Roles(scenario, Queues("cluster")))
        << scenario;
  }
  // A stream not known from an earlier list is left out.
  EXPECT_EQ(
      Roles(BuildModelFromMetrics(Metrics("writer"), {})),
      (RoleMap{{"//qq1", "secondary at 102"}, {"//qq2", "secondary at 62"}}));
}

TEST(BuildModelFromMetrics, NoPrimaryUntilTheNewLeadersRefresh) {
  // rabbit2 was named leader of qq1 0.40 s after the kill, but its metrics
  // show it only 5.4 s after: until then no node is primary for qq1.
  EXPECT_EQ(
      RolesFromMetrics("new_leader_elected"),
      (RoleMap{{"//qq1", "secondary at 102"}, {"//qq2", "primary at 62"}}));
  EXPECT_EQ(RolesFromMetrics("new_leader"),
            (RoleMap{{"//qq1", "primary at 103"}, {"//qq2", "primary at 62"}}));
  EXPECT_EQ(RolesFromMetrics("dead_node_follower"),
            (RoleMap{{"//qq1", "secondary at 103"},
                     {"//qq2", "secondary at 62"},
                     {"//s1", "primary"}}));
}

TEST(ParseNodeNames, NamesOfEveryNodeRunningOrNot) {
  EXPECT_THAT(
      ExpectOk(ParseNodeNames(ReadFixture("nodes_3.10.8_dead_node.json"))),
      ElementsAre("rabbit1@localhost", "rabbit2@localhost",
                  "rabbit3@localhost"));
}

TEST(MemberAddresses, EveryNodeHostAtTheManagementPort) {
  // The recorded cluster runs on one host: one address.
  EXPECT_THAT(MemberAddresses(ExpectOk(ParseNodeNames(ReadFixture(
                                  "nodes_3.10.8_stopped_member.json"))),
                              15672),
              ElementsAre("localhost:15672"));
  EXPECT_THAT(
      MemberAddresses({"rabbit@mq-0.mq.svc", "rabbit@10.0.0.2", "rabbit@::1",
                       "nohost", "rabbit@", "other@10.0.0.2"},
                      9),
      ElementsAre("mq-0.mq.svc:9", "10.0.0.2:9", "[::1]:9"));
  EXPECT_THAT(MemberAddresses({}, 15672), IsEmpty());
}

// Replies that must fail, and what their error must say.
struct BadReply {
  std::string text;
  const char* error;
};

template <typename Parse>
void ExpectRefused(Parse parse, const std::vector<BadReply>& cases) {
  for (const BadReply& bad : cases) {
    auto parsed = parse(bad.text);
    EXPECT_FALSE(parsed.ok()) << bad.text;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(bad.error))
        << bad.text;
  }
}

TEST(ParseDetailedMetrics, BadRepliesNameTheLineOrWhatIsMissing) {
  const std::string identity =
      "rabbitmq_identity_info{rabbitmq_node=\"r@h\",rabbitmq_cluster=\"c\","
      "rabbitmq_cluster_permanent_id=\"id\"} 1\n";
  const std::string build =
      "rabbitmq_build_info{rabbitmq_version=\"3.10.8\"} 1\n";
  const std::string commit = "rabbitmq_detailed_raft_log_commit_index";
  ExpectRefused(
      ParseDetailedMetrics,
      {
          {"", "metrics reply: no rabbitmq_identity_info sample"},
          {"<html>", "metrics reply: line 1: expected a metric name, got '<'"},
          {identity, "metrics reply: no rabbitmq_build_info sample"},
          {build, "metrics reply: no rabbitmq_identity_info sample"},
          {identity + build + "x{a=\"1\"} oops\n",
           "metrics reply: line 3: x: bad value \"oops\""},
          {"rabbitmq_identity_info{rabbitmq_cluster=\"c\"} 1\n" + build,
           "metrics reply: line 1: rabbitmq_identity_info: label "
           "\"rabbitmq_node\" missing"},
          {identity + "rabbitmq_build_info{rabbitmq_version=\"\"} 1\n",
           "metrics reply: line 2: rabbitmq_build_info: label "
           "\"rabbitmq_version\" empty"},
          {identity + identity + build,
           "metrics reply: line 2: a second rabbitmq_identity_info sample"},
          {identity + build + commit + "{vhost=\"/\",queue=\"q\"} NaN\n",
           "metrics reply: line 3: rabbitmq_detailed_raft_log_commit_index "
           "of \"//q\": expected a non-negative integer, got NaN"},
          {identity + build + commit + "{vhost=\"/\",queue=\"q\"} -1\n",
           "line 3: rabbitmq_detailed_raft_log_commit_index of \"//q\": "
           "expected a non-negative integer, got -1"},
          {identity + build + commit + "{vhost=\"/\",queue=\"q\"} 1.5\n",
           "expected a non-negative integer, got 1.5"},
          {identity + build + commit + "{vhost=\"/\",queue=\"q\"} +Inf\n",
           "expected a non-negative integer, got +Inf"},
          {identity + build + commit + "{vhost=\"/\",queue=\"q\"} 2e19\n",
           "expected a non-negative integer, got 2e+19"},
          {identity + build + commit + "{vhost=\"/\",queue=\"q\"} 1\n" +
               commit + "{queue=\"q\",vhost=\"/\"} 2\n",
           "line 4: rabbitmq_detailed_raft_log_commit_index of \"//q\": "
           "given twice"},
      });
}

TEST(ParseDetailedMetrics, OlderNodesWithoutPermanentIdLeaveItEmpty) {
  auto metrics = ParseDetailedMetrics(
      "rabbitmq_identity_info{rabbitmq_node=\"r@h\"} 1\n"
      "rabbitmq_build_info{rabbitmq_version=\"3.8.0\"} 1\n"
      "rabbitmq_detailed_raft_log_commit_index{vhost=\"/\",queue=\"q\"} "
      "9007199254740992\n");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->cluster_id, "");
  EXPECT_EQ(metrics->cluster_name, "");
  EXPECT_EQ(metrics->version, "3.8.0");
  EXPECT_THAT(metrics->commit_index,
              ElementsAre(Pair(QueueId("/", "q"), 9007199254740992u)));
}

TEST(ParseQueues, BadRepliesNameTheQueueAndField) {
  const std::string start = R"([{"name":"q","vhost":"/","type":"quorum",)";
  ExpectRefused(
      ParseQueues,
      {
          {"", "queues reply: invalid JSON"},
          {"[{", "queues reply: invalid JSON"},
          {"{}", "queues reply: expected a JSON array, got object"},
          {"[1]", "queues reply: [0]: expected an object, got 1"},
          {R"([{"vhost":"/","type":"quorum"}])",
           "queues reply: [0]: field \"name\": missing"},
          {R"([{"name":"q","type":"quorum"}])",
           "queues reply: [0]: field \"vhost\": missing"},
          {R"([{"name":"q","vhost":"/"}])",
           "queues reply: [0]: field \"type\": missing"},
          {R"([{"name":7,"vhost":"/","type":"quorum"}])",
           "queues reply: [0]: field \"name\": expected a string, got 7"},
          {start + R"("leader":5}])",
           "queues reply: [0]: field \"leader\": expected a string or null, "
           "got 5"},
          {start + R"("node":[]}])",
           "field \"node\": expected a string or null, got array"},
          {start + R"("members":"a@h"}])",
           "field \"members\": expected an array or null, got \"a@h\""},
          {start + R"("members":["a@h",null]}])",
           "queues reply: [0]: field \"members[1]\": expected a string, got "
           "null"},
          {R"([{"name":"c","vhost":"/","type":"classic"},)"
           R"({"name":"s","vhost":"/","type":"stream","x":[{"type":1}]},)" +
               start.substr(1) + R"("type":"stream"}])",
           "queues reply: [2]: field \"type\" given twice"},
      });
}

TEST(ParseQueues, EmptyListAndNullFields) {
  EXPECT_THAT(ExpectOk(ParseQueues("[]")), IsEmpty());
  std::vector<Queue> queues = ExpectOk(
      ParseQueues(R"([{"name":"q","vhost":"/","type":"quorum","leader":null,)"
                  R"("node":null,"members":null}])"));
  ASSERT_EQ(queues.size(), 1u);
  EXPECT_FALSE(queues[0].leader.has_value());
  EXPECT_EQ(queues[0].node, "");
  EXPECT_THAT(queues[0].members, IsEmpty());
}

TEST(ParseNodeNames, BadRepliesNameTheNode) {
  ExpectRefused(ParseNodeNames,
                {
                    {"nope", "nodes reply: invalid JSON"},
                    {R"({"name":"a@h"})",
                     "nodes reply: expected a JSON array, got object"},
                    {R"([{"name":"a@h"},{"running":true}])",
                     "nodes reply: [1]: field \"name\": missing"},
                    {R"([{"name":null}])",
                     "nodes reply: [0]: field \"name\": expected a string, "
                     "got null"},
                    {R"([{"name":"a@h","name":"b@h"}])",
                     "nodes reply: [0]: field \"name\" given twice"},
                });
}

}  // namespace
}  // namespace dse::rabbitmq
