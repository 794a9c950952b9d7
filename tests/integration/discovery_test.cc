// End-to-end tests of cluster discovery (/sd) with the exporter binary and
// real clusters on free loopback ports: the members a seed leads to, the
// labels Prometheus relabels into /probe, and allowed_targets holding for
// every member (a listener records any connection made to a refused one).
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/exporter_process.h"
#include "tests/support/fault_server.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/service_discovery.h"
#include "tests/support/zookeeper_ensemble.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

TEST(DiscoveryTest, EveryEtcdMemberFromAnySeedWithLabelsForProbe) {
  TempDir dir;
  auto cluster = EtcdCluster::Start(dir);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::vector<std::string> members;
  for (int i = 0; i < (*cluster)->size(); ++i) {
    members.push_back((*cluster)->address(i));
  }
  auto exporter = ExporterProcess::StartOrFail(
      dir, "modules:\n" + ModuleBlock("kv", "etcd", {"127.0.0.1:*"}));
  ASSERT_NE(exporter, nullptr);

  for (const std::string& seed : members) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "kv", seed));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(members));
    EXPECT_EQ(Targets(group).at(0), seed);  // The seed first.
    EXPECT_EQ(group["labels"],
              nlohmann::json({{"__param_module", "kv"},
                              {"cluster_id", (*cluster)->ClusterId(0)},
                              {"kind", "etcd"}}));
  }
  // What a relabelled scrape does with each member: /probe, up, one cluster.
  for (const std::string& member : members) {
    std::vector<Sample> samples = ParseExposition(
        HttpFetch(exporter->url("/probe?module=kv&target=" + member)).body);
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", member}}), 1);
    EXPECT_EQ(Select(samples, "datastore_info",
                     {{"cluster_id", (*cluster)->ClusterId(0)}})
                  .size(),
              1u)
        << member;
  }
  std::vector<Sample> telemetry = exporter->Scrape();
  EXPECT_EQ(ValueOf(telemetry, "datastore_exporter_discoveries_total",
                    {{"module", "kv"}, {"outcome", "ok"}}),
            3);
  // The status page shows the cluster found from each seed.
  nlohmann::json status = nlohmann::json::parse(
      HttpFetch(exporter->url("/api/status")).body, nullptr, false);
  ASSERT_TRUE(status.contains("discoveries")) << status;
  ASSERT_EQ(status["discoveries"].size(), 3u);
  for (const nlohmann::json& record : status["discoveries"]) {
    EXPECT_EQ(record["cluster_id"], (*cluster)->ClusterId(0));
    EXPECT_THAT(record["members"].get<std::vector<std::string>>(),
                UnorderedElementsAreArray(members));
  }
  EXPECT_THAT(HttpFetch(exporter->url("/")).body,
              HasSubstr("Discovered clusters"));
}

// Member 3 advertises the address of a listener that records connections:
// the module allows only members 1 and 2, so member 3's address is left
// out, counted and logged once, and never connected to; nor is a seed the
// module does not allow.
TEST(DiscoveryTest, MembersAndSeedsOutsideAllowedTargetsGetNoConnection) {
  TempDir dir;
  FaultServer listener(FaultServer::Behaviour::kNeverAnswer);
  EtcdCluster::Options options;
  options.advertised_client_urls[2] = "http://" + listener.address();
  auto cluster = EtcdCluster::Start(dir, options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::vector<std::string> allowed = {(*cluster)->address(0),
                                            (*cluster)->address(1)};
  auto exporter = ExporterProcess::StartOrFail(
      dir, "modules:\n" + ModuleBlock("kv", "etcd", allowed));
  ASSERT_NE(exporter, nullptr);

  for (int round = 0; round < 2; ++round) {
    nlohmann::json group = OneGroup(Sd(*exporter, "kv", allowed[0]));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(allowed));
  }
  HttpResult refused = Sd(*exporter, "kv", listener.address());
  EXPECT_EQ(refused.status, 403);
  EXPECT_THAT(refused.body, HasSubstr("is not allowed by module \"kv\""));

  EXPECT_EQ(listener.connections(), 0);
  std::vector<Sample> telemetry = exporter->Scrape();
  EXPECT_EQ(
      ValueOf(telemetry, "datastore_exporter_discovery_members_refused_total",
              {{"module", "kv"}}),
      2);
  const std::string logs = exporter->Logs();
  const std::string line = "member=" + listener.address();
  EXPECT_THAT(logs, HasSubstr("not in the module's allowed_targets"));
  EXPECT_EQ(logs.find(line), logs.rfind(line)) << "logged more than once";
  EXPECT_NE(logs.find(line), std::string::npos);
}

// ZooKeeper names its servers' client ports when the server lines give
// them (server.N=host:quorum:election;host:clientPort).
TEST(DiscoveryTest, EveryZooKeeperServerFromAnySeed) {
  TempDir dir;
  ZooKeeperOptions options;
  options.client_addresses = true;
  auto ensemble = ZooKeeperEnsemble::Start(dir, options);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status();
  std::vector<std::string> servers;
  for (int i = 0; i < (*ensemble)->size(); ++i) {
    servers.push_back((*ensemble)->address(i));
  }
  auto exporter = ExporterProcess::StartOrFail(
      dir, "modules:\n" + ModuleBlock("zk", "zookeeper", {"127.0.0.1:*"},
                                      "    cluster_id: coordination\n"));
  ASSERT_NE(exporter, nullptr);
  for (const std::string& seed : servers) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "zk", seed));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(servers));
    EXPECT_EQ(group["labels"], nlohmann::json({{"__param_module", "zk"},
                                               {"cluster_id", "coordination"},
                                               {"kind", "zookeeper"}}));
  }
}

// NATS servers on hosts of their own (127.0.0.1-3), one monitoring port:
// each is found at the host it advertises to clients.
TEST(DiscoveryTest, EveryNatsServerAtItsAdvertisedHost) {
  TempDir dir;
  auto cluster = NatsCluster::Start(dir, 3, /*own_hosts=*/true);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  std::vector<std::string> servers;
  for (int i = 0; i < (*cluster)->size(); ++i) {
    servers.push_back((*cluster)->address(i));
  }
  auto exporter = ExporterProcess::StartOrFail(
      dir, "modules:\n" + ModuleBlock("streams", "nats", {"127.0.0.0/8:*"}));
  ASSERT_NE(exporter, nullptr);
  for (const std::string& seed : servers) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "streams", seed));
    EXPECT_THAT(Targets(group), UnorderedElementsAreArray(servers));
    EXPECT_EQ(group["labels"],
              nlohmann::json({{"__param_module", "streams"},
                              {"cluster_id", NatsCluster::kName},
                              {"kind", "nats"}}));
  }
}

TEST(DiscoveryTest, BadRequestsAndAnUnreachableSeedAreRefusedWithTheReason) {
  TempDir dir;
  FaultServer silent(FaultServer::Behaviour::kNeverAnswer);
  auto exporter = ExporterProcess::StartOrFail(
      dir, "modules:\n" + ModuleBlock("kv", "etcd", {"127.0.0.1:*"}) +
               ModuleBlock("agents", "replicante", {"127.0.0.1:*"}));
  ASSERT_NE(exporter, nullptr);

  HttpResult answer = HttpFetch(exporter->url("/sd?module=kv"));
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(answer.body, HasSubstr("missing parameter(s): target (use "
                                     "/sd?target=HOST:PORT&module=NAME)"));
  answer = Sd(*exporter, "nope", "127.0.0.1:1");
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(answer.body, HasSubstr("unknown module \"nope\""));
  // A kind whose nodes cannot name their peers says so, with no I/O.
  answer = Sd(*exporter, "agents", silent.address());
  EXPECT_EQ(answer.status, 400);
  EXPECT_THAT(answer.body, HasSubstr("cannot discover"));
  EXPECT_EQ(silent.connections(), 0);
  // Not 200 (which would empty Prometheus's list): the reason, by the
  // module's timeout.
  answer = Sd(*exporter, "kv", silent.address());
  EXPECT_EQ(answer.status, 503);
  EXPECT_THAT(answer.body,
              HasSubstr(absl::StrCat("discovery from ", silent.address(),
                                     " failed: seed ")));
  EXPECT_THAT(answer.body, HasSubstr("timed out"));
  EXPECT_EQ(ValueOf(exporter->Scrape(), "datastore_exporter_discoveries_total",
                    {{"module", "kv"}, {"outcome", "failed"}}),
            1);
}

}  // namespace
}  // namespace dse::testing
