// Parser and mapping tests on replies recorded from nats-server 2.9.10
// (fixtures/README.md says how and what each scenario is).
#include "collectors/nats/nats_parse.h"

#include <map>
#include <string>
#include <vector>

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::nats {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ServerInfo Varz(const std::string& scenario) {
  return ExpectOk(ParseVarz(ReadFixture("varz_2.9.10_" + scenario + ".json")),
                  scenario);
}

std::vector<StreamReplica> Jsz(const std::string& scenario) {
  return ExpectOk(ParseJsz(ReadFixture("jsz_2.9.10_" + scenario + ".json")),
                  scenario);
}

// The model of the server of `varz` holding the streams of `jsz`.
NodeModel Model(const std::string& varz, const std::string& jsz) {
  return BuildModel(Varz(varz), Jsz(jsz));
}

// Shard ID -> "role (detail) at offset", the whole of what a shard tells.
std::map<std::string, std::string> Roles(const NodeModel& model) {
  return ShardRoles(model, "stream_sequence");
}

TEST(ParseVarz, ReadsNameVersionAndClusterName) {
  ServerInfo server = Varz("leader");
  EXPECT_EQ(server.server_name, "n2");
  EXPECT_EQ(server.version, "2.9.10");
  EXPECT_EQ(server.cluster_name, "c1");
}

TEST(ParseVarz, StandaloneServerHasNoClusterName) {
  ServerInfo server = Varz("standalone");
  EXPECT_EQ(server.server_name, "s1");
  EXPECT_EQ(server.cluster_name, "");
}

TEST(MemberAddresses, EveryAdvertisedHostAtTheMonitoringPort) {
  ServerInfo server = Varz("leader");
  EXPECT_THAT(
      server.connect_urls,
      ElementsAre("127.0.0.1:57783", "127.0.0.1:52707", "127.0.0.1:35547"));
  // On one host, the three servers are one address: the monitoring port
  // of the others is not told.
  EXPECT_THAT(MemberAddresses(server, 8222), ElementsAre("127.0.0.1:8222"));
  server.connect_urls = {"10.0.0.1:4222", "[fd00::2]:4222", "nonsense"};
  EXPECT_THAT(MemberAddresses(server, 9),
              ElementsAre("10.0.0.1:9", "[fd00::2]:9"));
  EXPECT_THAT(MemberAddresses(Varz("standalone"), 8222), ::testing::IsEmpty());
}

TEST(BuildModel, LeaderLeadsOrdersAndItsR1StreamFollowsTheOthers) {
  NodeModel model = Model("leader", "leader");
  EXPECT_EQ(model.cluster_id, "c1");
  EXPECT_EQ(model.node, "n2");
  EXPECT_EQ(model.version, "2.9.10");
  EXPECT_EQ(Roles(model), (std::map<std::string, std::string>{
                              {"$G/AUDIT", "secondary at 10"},
                              {"$G/EVENTS", "secondary at 20"},
                              {"$G/ORDERS", "primary at 30"},
                              {"$G/SOLO", "primary at 5"},
                          }));
}

TEST(BuildModel, FollowerOfOrdersLeadsEvents) {
  NodeModel model = Model("follower", "follower");
  EXPECT_EQ(model.node, "n1");
  EXPECT_EQ(Roles(model), (std::map<std::string, std::string>{
                              {"$G/AUDIT", "secondary at 10"},
                              {"$G/EVENTS", "primary at 20"},
                              {"$G/ORDERS", "secondary at 30"},
                          }));
}

TEST(BuildModel, EveryStreamHasOnePrimaryAndOneOffsetAcrossTheCluster) {
  std::map<std::string, int> primaries;
  std::map<std::string, std::vector<uint64_t>> offsets;
  for (const char* scenario : {"leader", "follower", "other_follower"}) {
    NodeModel model = Model(scenario, scenario);
    EXPECT_EQ(model.cluster_id, "c1") << scenario;
    for (const Shard& shard : model.shards) {
      if (shard.role == Role::kPrimary) ++primaries[shard.id];
      if (shard.commit_offset.has_value()) {
        offsets[shard.id].push_back(shard.commit_offset->value);
      }
    }
  }
  EXPECT_EQ(primaries, (std::map<std::string, int>{{"$G/AUDIT", 1},
                                                   {"$G/EVENTS", 1},
                                                   {"$G/ORDERS", 1},
                                                   {"$G/SOLO", 1}}));
  EXPECT_THAT(offsets["$G/ORDERS"], ElementsAre(30, 30, 30));
  EXPECT_THAT(offsets["$G/SOLO"], ElementsAre(5));
}

TEST(BuildModel, DeadLeaderStillNamedMakesASecondary) {
  // Fetched at once after n2's kill: n1 still names n2 the leader.
  EXPECT_EQ(Roles(Model("follower", "leader_killed"))["$G/ORDERS"],
            "secondary at 30");
}

TEST(BuildModel, AfterTheLeaderOfOrdersDiesOnlyALeaderIsPrimary) {
  // n1's view once n2 (leader of ORDERS, holder of the R1 SOLO) is killed:
  // SOLO is absent throughout; a stream without a leader is not primary.
  const struct {
    const char* scenario;
    const char* orders;
    const char* events;
    const char* audit;
  } views[] = {
      {"election", "unknown (no leader) at 30", "primary at 20",
       "secondary at 10"},
      {"dead_node", "primary at 30", "primary at 20", "secondary at 10"},
      {"no_quorum", "unknown (no leader) at 30", "unknown (no leader) at 20",
       "unknown (no leader) at 10"},
  };
  for (const auto& view : views) {
    EXPECT_EQ(Roles(Model("follower", view.scenario)),
              (std::map<std::string, std::string>{{"$G/AUDIT", view.audit},
                                                  {"$G/EVENTS", view.events},
                                                  {"$G/ORDERS", view.orders}}))
        << view.scenario;
  }
}

TEST(BuildModel, ConsumersAreNotShards) {
  // n2 follows the consumer "shipper" (led by n1): same shards as without
  // consumers in the reply.
  EXPECT_EQ(Roles(BuildModel(Varz("leader"), Jsz("consumers_leader"))),
            Roles(Model("leader", "leader")));
}

TEST(BuildModel, AccountWithoutJetStreamHasNoShard) {
  // Cluster c2: both streams led by a3; NOJS has no JetStream.
  ServerInfo a3{"a3", "2.9.10", "c2", {}};
  EXPECT_EQ(Roles(BuildModel(a3, Jsz("no_jetstream_account"))),
            (std::map<std::string, std::string>{
                {"APP/ORDERS", "primary at 3"},
                {"OPS/METRICS", "primary at 4"},
            }));
  ServerInfo a2{"a2", "2.9.10", "c2", {}};
  EXPECT_EQ(Roles(BuildModel(a2, Jsz("no_jetstream_account")))["APP/ORDERS"],
            "secondary at 3");
}

TEST(BuildModel, StandaloneServerLeavesTheClusterIdToTheConfiguration) {
  NodeModel model = Model("standalone", "standalone");
  EXPECT_EQ(model.cluster_id, "");
  EXPECT_EQ(model.node, "s1");
  Shard shard = ExpectOneShard(model, "$G/ORDERS", Role::kPrimary,
                               kStreamSequenceUnit, 5);
  EXPECT_THAT(shard.lags, IsEmpty());
}

TEST(BuildModel, StreamWithoutClusterObjectIsPrimary) {
  auto streams =
      ParseJsz(R"({"account_details":[{"name":"$G","stream_detail":[)"
               R"({"name":"S","state":{"last_seq":7}}]}]})");
  ASSERT_TRUE(streams.ok()) << streams.status();
  ExpectOneShard(BuildModel(ServerInfo{"s1", "2.9.10", "", {}}, *streams),
                 "$G/S", Role::kPrimary, kStreamSequenceUnit, 7);
}

TEST(ParseJsz, NoAccountsOrNoStreamsGiveNoShard) {
  EXPECT_THAT(ExpectOk(ParseJsz(R"({"server_id":"x"})")), IsEmpty());
  EXPECT_THAT(ExpectOk(ParseJsz(R"({"account_details":[{"name":"A"}]})")),
              IsEmpty());
}

// Replies that must fail, and what their error must say.
struct BadReply {
  const char* text;
  const char* error;
};

// Checks that `parse` refuses `prefix` + each case's text with its error.
template <typename Parse, size_t kCount>
void ExpectRefused(Parse parse, const BadReply (&cases)[kCount],
                   const std::string& prefix = "") {
  for (const BadReply& bad : cases) {
    const std::string text = prefix + bad.text;
    auto parsed = parse(text);
    EXPECT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(bad.error))
        << text;
  }
}

TEST(ParseVarz, BadRepliesNameTheField) {
  const BadReply cases[] = {
      {"", "varz reply: invalid JSON"},
      {"{\"server_name\": ", "varz reply: invalid JSON"},
      {"[]", "varz reply: expected a JSON object, got array"},
      {R"({"version":"2.9.10"})", "varz reply: field \"server_name\": missing"},
      {R"({"server_name":"n1"})", "varz reply: field \"version\": missing"},
      {R"({"server_name":7,"version":"2.9.10"})",
       "varz reply: field \"server_name\": expected a string, got 7"},
      {R"({"server_name":"n1","version":"2.9.10","cluster":5})",
       "varz reply: field \"cluster\": expected an object, got 5"},
      {R"({"server_name":"n1","version":"2.9.10","cluster":{"name":[]}})",
       "varz reply: field \"cluster.name\": expected a string, got array"},
      {R"({"server_name":"n1","version":"2.9.10","connect_urls":["a:1",2]})",
       "varz reply: field \"connect_urls[1]\": expected a string, got 2"},
  };
  ExpectRefused(ParseVarz, cases);
}

TEST(ParseJsz, BadRepliesNameTheField) {
  const std::string stream = R"({"account_details":[{"name":"$G",)"
                             R"("stream_detail":[{"name":"S",)";
  const BadReply cases[] = {
      {"{", "jsz reply: invalid JSON"},
      {"\"x\"", "jsz reply: expected a JSON object, got string"},
      {R"({"account_details":{}})",
       "jsz reply: field \"account_details\": expected an array, got object"},
      {R"({"account_details":[1]})",
       "jsz reply: account_details[0]: expected an object, got 1"},
      {R"({"account_details":[{"stream_detail":[]}]})",
       "jsz reply: account_details[0]: field \"name\": missing"},
      {R"({"account_details":[{"name":"A","stream_detail":{}}]})",
       "account_details[0]: field \"stream_detail\": expected an array"},
      {R"({"account_details":[{"name":"A","stream_detail":[null]}]})",
       "account_details[0].stream_detail[0]: expected an object, got null"},
      {R"({"account_details":[{"name":"A","stream_detail":[{}]}]})",
       "account_details[0].stream_detail[0]: field \"name\": missing"},
  };
  ExpectRefused(ParseJsz, cases);
  const BadReply stream_cases[] = {
      {R"("subjects":[]}]}]})",
       "jsz reply: account_details[0].stream_detail[0]: "
       "field \"state.last_seq\": missing"},
      {R"("state":{}}]}]})", "field \"state.last_seq\": missing"},
      {R"("state":3}]}]})", "field \"state\": expected an object, got 3"},
      {R"("state":{"last_seq":-1}}]}]})",
       "field \"state.last_seq\": expected an unsigned integer, got -1"},
      {R"("state":{"last_seq":"30"}}]}]})",
       "field \"state.last_seq\": expected an unsigned integer, got \"30\""},
      {R"("state":{"last_seq":1.5}}]}]})",
       "field \"state.last_seq\": expected an unsigned integer, got 1.5"},
      {R"("cluster":{"leader":true},"state":{"last_seq":1}}]}]})",
       "field \"cluster.leader\": expected a string, got true"},
      {R"("cluster":[],"state":{"last_seq":1}}]}]})",
       "field \"cluster\": expected an object, got array"},
  };
  ExpectRefused(ParseJsz, stream_cases, stream);
}

TEST(ParseJsz, LastSeqAboveInt64Max) {
  auto streams =
      ParseJsz(R"({"account_details":[{"name":"A","stream_detail":[)"
               R"({"name":"S","state":{"last_seq":18446744073709551615}}]}]})");
  ASSERT_TRUE(streams.ok()) << streams.status();
  ASSERT_EQ(streams->size(), 1u);
  EXPECT_EQ((*streams)[0].last_seq, 18446744073709551615u);
}

}  // namespace
}  // namespace dse::nats
