// Cluster discovery (/sd) of the redis kind with the exporter binary and real
// servers on free loopback ports: a primary with two replicas (replication)
// and a Redis Cluster, from any seed; allowed_targets holding for a replica
// that announces the address of a listener recording connections.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/fault_server.h"
#include "tests/support/redis_cluster.h"
#include "tests/support/redis_pair.h"
#include "tests/support/service_discovery.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

// Starts a replica of `primary` with `extra_args` and waits until the
// primary counts `replicas` connected replicas (at most 15 s).
absl::StatusOr<std::unique_ptr<RedisServer>> StartReplica(
    const TempDir& dir, const RedisServer& primary, int replicas,
    std::vector<std::string> extra_args = {}) {
  extra_args.insert(extra_args.begin(), {"--replicaof", "127.0.0.1",
                                         std::to_string(primary.port())});
  auto replica = RedisServer::Start(dir, extra_args);
  if (!replica.ok()) return replica.status();
  if (!WaitFor(
          [&] {
            return primary.InfoField("connected_slaves") ==
                   std::to_string(replicas);
          },
          absl::Seconds(15))) {
    return absl::DeadlineExceededError("the replica did not connect");
  }
  return replica;
}

std::string CacheModule(const std::vector<std::string>& allowed) {
  return "modules:\n" +
         ModuleBlock("cache", "redis", allowed, "    cluster_id: cache\n");
}

// A replica names its primary, which names every replica: all three from
// each of them.
TEST(RedisDiscoveryTest, PrimaryAndTwoReplicasFromAnySeed) {
  TempDir dir;
  auto pair = RedisPair::Start(dir);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto second = StartReplica(dir, *pair->primary, 2);
  ASSERT_TRUE(second.ok()) << second.status();
  const std::vector<std::string> members = {
      pair->primary->address(), pair->replica->address(), (*second)->address()};
  auto exporter =
      ExporterProcess::StartOrFail(dir, CacheModule({"127.0.0.1:*"}));
  ASSERT_NE(exporter, nullptr);

  for (const std::string& seed : members) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "cache", seed));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(members));
    EXPECT_EQ(Targets(group).at(0), seed);
    EXPECT_EQ(group["labels"], nlohmann::json({{"__param_module", "cache"},
                                               {"cluster_id", "cache"},
                                               {"kind", "redis"}}));
  }
  EXPECT_EQ(ValueOf(exporter->Scrape(), "datastore_exporter_discoveries_total",
                    {{"module", "cache"}, {"outcome", "ok"}}),
            3);
}

// CLUSTER NODES names every node: all six from one primary and from one
// replica.
TEST(RedisDiscoveryTest, EveryNodeOfARedisClusterFromOneNode) {
  TempDir dir;
  auto cluster = RedisCluster::Start(dir);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::vector<std::string> members;
  std::string primary, replica;
  for (const auto& server : cluster->servers) {
    members.push_back(server->address());
    (server->InfoField("role") == "master" ? primary : replica) =
        server->address();
  }
  auto exporter =
      ExporterProcess::StartOrFail(dir, CacheModule({"127.0.0.1:*"}));
  ASSERT_NE(exporter, nullptr);

  for (const std::string& seed : {primary, replica}) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "cache", seed));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(members));
    EXPECT_EQ(group["labels"]["cluster_id"], "cache");
  }
}

// The second replica announces the port of a listener that records
// connections (replica-announce-port): its primary names that address, the
// module does not allow it, so it is left out, counted, logged once, and
// never connected to.
TEST(RedisDiscoveryTest,
     AnnouncedReplicaOutsideAllowedTargetsGetsNoConnection) {
  TempDir dir;
  FaultServer listener(FaultServer::Behaviour::kNeverAnswer);
  auto pair = RedisPair::Start(dir);
  ASSERT_TRUE(pair.ok()) << pair.status();
  auto announced = StartReplica(
      dir, *pair->primary, 2,
      {"--replica-announce-port", std::to_string(listener.port())});
  ASSERT_TRUE(announced.ok()) << announced.status();
  const std::vector<std::string> allowed = {pair->primary->address(),
                                            pair->replica->address()};
  auto exporter = ExporterProcess::StartOrFail(dir, CacheModule(allowed));
  ASSERT_NE(exporter, nullptr);

  for (const std::string& seed : allowed) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "cache", seed));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(allowed));
  }
  EXPECT_EQ(listener.connections(), 0);
  EXPECT_EQ(ValueOf(exporter->Scrape(),
                    "datastore_exporter_discovery_members_refused_total",
                    {{"module", "cache"}}),
            2);
  const std::string logs = exporter->Logs();
  const std::string line = "member=" + listener.address();
  EXPECT_THAT(logs, HasSubstr("not in the module's allowed_targets"));
  EXPECT_NE(logs.find(line), std::string::npos);
  EXPECT_EQ(logs.find(line), logs.rfind(line)) << "logged more than once";
}

}  // namespace
}  // namespace dse::testing
