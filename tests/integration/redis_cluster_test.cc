// The exporter against a real 3-primary/3-replica Redis Cluster.
#include "tests/support/redis_cluster.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {
namespace {

// shard → role → how many nodes have it, from one scrape.
std::map<std::string, std::map<std::string, int>> RolesByShard(
    const std::vector<Sample>& samples) {
  std::map<std::string, std::map<std::string, int>> roles;
  for (const Sample& sample : Select(samples, "datastore_shard_role")) {
    if (sample.value == 1)
      ++roles[sample.labels.at("shard")][sample.labels.at("role")];
  }
  return roles;
}

bool HealthyCluster(
    const std::map<std::string, std::map<std::string, int>>& roles) {
  if (roles.size() != 3) return false;
  for (const auto& [shard, counts] : roles) {
    const std::map<std::string, int> healthy = {{"primary", 1},
                                                {"secondary", 1}};
    if (counts != healthy) return false;
  }
  return true;
}

class RedisClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = RedisCluster::Start(dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    servers_ = std::move(cluster->servers);
    std::string config = "targets:\n";
    for (size_t i = 0; i < servers_.size(); ++i) {
      absl::StrAppend(&config, "  - {name: node", i,
                      ", kind: redis, address: ", servers_[i]->address(),
                      ", cluster_id: sessions}\n");
    }
    auto exporter = ExporterProcess::Start(dir_, config);
    ASSERT_TRUE(exporter.ok()) << exporter.status();
    exporter_ = *std::move(exporter);
  }

  // Scrapes until every shard has one primary and one secondary (at most
  // 20 s: replicas may still be finishing their first sync when the cluster
  // says ok). True when it had.
  bool ScrapeHealthy(std::vector<Sample>* samples) {
    return WaitFor(
        [&] {
          *samples = exporter_->Scrape();
          return HealthyCluster(RolesByShard(*samples));
        },
        absl::Seconds(20));
  }

  TempDir dir_;
  std::vector<std::unique_ptr<RedisServer>> servers_;
  std::unique_ptr<ExporterProcess> exporter_;
};

TEST_F(RedisClusterTest, ThreeShardsEachWithOnePrimaryAndOneSecondary) {
  std::vector<Sample> samples;
  ASSERT_TRUE(ScrapeHealthy(&samples))
      << ::testing::PrintToString(RolesByShard(samples));
  auto roles = RolesByShard(samples);
  std::set<std::string> shards;
  for (const auto& [shard, counts] : roles) shards.insert(shard);
  EXPECT_EQ(shards,
            (std::set<std::string>{"0-5460", "5461-10922", "10923-16383"}));
  // Node names are the cluster's node IDs, each different.
  std::set<std::string> nodes;
  for (const Sample& info : Select(samples, "datastore_info")) {
    nodes.insert(info.labels.at("node"));
    EXPECT_EQ(info.labels.at("node").size(), 40u);
  }
  EXPECT_EQ(nodes.size(), 6u);
  EXPECT_EQ(
      Select(samples, "datastore_shard_commit_offset", {{"unit", "bytes"}})
          .size(),
      6u);
}

TEST_F(RedisClusterTest, ShardIdsStayAcrossFailover) {
  std::vector<Sample> before;
  ASSERT_TRUE(ScrapeHealthy(&before))
      << ::testing::PrintToString(RolesByShard(before));
  // Promote the replica of shard 0-5460 with a coordinated CLUSTER FAILOVER.
  std::string replica_target;
  for (const Sample& sample :
       Select(before, "datastore_shard_role",
              {{"shard", "0-5460"}, {"role", "secondary"}})) {
    if (sample.value == 1) replica_target = sample.labels.at("target");
  }
  ASSERT_FALSE(replica_target.empty());
  RedisServer& replica = *servers_[std::stoi(replica_target.substr(4))];
  ASSERT_TRUE(replica.Command({"CLUSTER", "FAILOVER"}).ok());
  ASSERT_TRUE(WaitFor([&] { return replica.InfoField("role") == "master"; },
                      absl::Seconds(20)));
  ASSERT_TRUE(WaitFor(
      [&] {
        auto samples = exporter_->Scrape();
        return HealthyCluster(RolesByShard(samples)) &&
               ValueOf(samples, "datastore_shard_role",
                       {{"target", replica_target},
                        {"shard", "0-5460"},
                        {"role", "primary"}}) == 1;
      },
      absl::Seconds(20)))
      << ::testing::PrintToString(RolesByShard(exporter_->Scrape()));
}

}  // namespace
}  // namespace dse::testing
