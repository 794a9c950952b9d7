#include "exporter/web/status_page.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TargetStatus Node(const std::string& name, Role role, uint64_t offset,
                  const std::string& cluster = "cache") {
  TargetStatus status;
  status.name = name;
  status.kind = "redis";
  status.address = "10.0.0.1:6379";
  status.configured_cluster_id = cluster;
  status.result.target = name;
  status.result.kind = "redis";
  status.result.up = true;
  status.result.duration_seconds = 0.0012;
  status.result.model.cluster_id = cluster;
  status.result.model.node = name + "-node";
  status.result.model.version = "7.0.15";
  Shard shard;
  shard.id = cluster;
  shard.role = role;
  shard.commit_offset = CommitOffset{"bytes", offset};
  status.result.model.shards.push_back(shard);
  return status;
}

TargetStatus Down(const std::string& name, const std::string& error) {
  TargetStatus status;
  status.name = name;
  status.kind = "redis";
  status.address = "10.0.0.9:6379";
  status.configured_cluster_id = "cache";
  status.result.target = name;
  status.result.kind = "redis";
  status.result.error = error;
  return status;
}

const absl::Time kNow = absl::FromUnixSeconds(1700000000);

TEST(BuildClusterViews, GroupsByClusterAndShardPrimaryFirst) {
  std::vector<TargetStatus> targets = {
      Node("b", Role::kSecondary, 900), Node("a", Role::kPrimary, 1000),
      Node("c", Role::kSecondary, 1000), Node("z", Role::kPrimary, 5, "other"),
      Down("d", "connect: Connection refused")};
  std::vector<ClusterView> clusters = BuildClusterViews(targets);
  ASSERT_EQ(clusters.size(), 2u);
  EXPECT_EQ(clusters[0].cluster_id, "cache");
  ASSERT_EQ(clusters[0].shards.size(), 1u);
  const ShardView& shard = clusters[0].shards[0];
  EXPECT_EQ(shard.primaries, 1);
  ASSERT_EQ(shard.nodes.size(), 3u);
  EXPECT_EQ(shard.nodes[0].target->name, "a");
  EXPECT_FALSE(shard.nodes[0].behind_primary.has_value());
  EXPECT_EQ(shard.nodes[1].target->name, "b");
  EXPECT_EQ(*shard.nodes[1].behind_primary, 100);
  EXPECT_EQ(*shard.nodes[2].behind_primary, 0);
  ASSERT_EQ(clusters[0].unreachable.size(), 1u);
  EXPECT_EQ(clusters[0].unreachable[0]->name, "d");
  EXPECT_EQ(clusters[1].cluster_id, "other");
}

TEST(BuildClusterViews, NoBehindPrimaryWithoutExactlyOnePrimary) {
  std::vector<TargetStatus> targets = {Node("a", Role::kPrimary, 10),
                                       Node("b", Role::kPrimary, 5)};
  std::vector<ClusterView> clusters = BuildClusterViews(targets);
  EXPECT_EQ(clusters[0].shards[0].primaries, 2);
  for (const NodeView& node : clusters[0].shards[0].nodes) {
    EXPECT_FALSE(node.behind_primary.has_value());
  }
}

TEST(StatusJson, EveryTargetItsStateAndModel) {
  std::vector<TargetStatus> targets = {
      Node("a", Role::kPrimary, 1000), Node("b", Role::kSecondary, 900),
      Down("d", "connect: Connection refused")};
  nlohmann::json status = nlohmann::json::parse(StatusJson(targets, kNow));
  EXPECT_EQ(status["generated_at"], "2023-11-14T22:13:20Z");
  ASSERT_EQ(status["targets"].size(), 3u);
  EXPECT_EQ(status["targets"][2]["up"], false);
  EXPECT_EQ(status["targets"][2]["error"], "connect: Connection refused");
  EXPECT_EQ(status["targets"][2]["cluster_id"], "cache");
  const nlohmann::json& shard = status["clusters"][0]["shards"][0];
  EXPECT_EQ(shard["primaries"], 1);
  EXPECT_EQ(shard["nodes"][0]["role"], "primary");
  EXPECT_EQ(shard["nodes"][0]["behind_primary"], nullptr);
  EXPECT_EQ(shard["nodes"][1]["role"], "secondary");
  EXPECT_EQ(shard["nodes"][1]["commit_offset"]["value"], 900);
  EXPECT_EQ(shard["nodes"][1]["behind_primary"]["value"], 100);
  EXPECT_EQ(shard["nodes"][1]["behind_primary"]["unit"], "bytes");
  EXPECT_EQ(status["clusters"][0]["unreachable"][0]["target"], "d");
}

TEST(StatusPageHtml, ServerRendersEveryClusterShardAndTarget) {
  std::vector<TargetStatus> targets = {
      Node("a", Role::kPrimary, 1234567), Node("b", Role::kSecondary, 1234000),
      Down("d", "connect: Connection refused")};
  targets[1].result.model.shards[0].lags = {Lag{"seconds", 2.5}};
  std::string html = StatusPageHtml(targets, kNow, {"/metrics", 2});
  EXPECT_THAT(html, HasSubstr("<body data-refresh=\"2\">"));
  EXPECT_THAT(html, HasSubstr("data-target=\"a\" data-node=\"a-node\" "
                              "data-role=\"primary\""));
  EXPECT_THAT(html, HasSubstr("data-target=\"b\" data-node=\"b-node\" "
                              "data-role=\"secondary\""));
  EXPECT_THAT(html, HasSubstr("1,234,567 bytes"));
  EXPECT_THAT(html, HasSubstr("567 bytes"));  // Behind the primary.
  EXPECT_THAT(html, HasSubstr("2.5 s"));
  EXPECT_THAT(html, HasSubstr("1 primary"));
  EXPECT_THAT(html, HasSubstr("2 of 3 targets up"));
  EXPECT_THAT(html, HasSubstr("connect: Connection refused"));
  EXPECT_THAT(html, HasSubstr("updated 22:13:20 UTC"));
  EXPECT_THAT(html, HasSubstr("<a href=\"/metrics\">"));
  EXPECT_THAT(html, Not(HasSubstr("http://")));  // No external asset.
  EXPECT_THAT(html, Not(HasSubstr("https://")));
}

TEST(StatusPageHtml, EscapesEverythingADatastoreOrConfigSays) {
  std::vector<TargetStatus> targets = {Node("a", Role::kUnknown, 1)};
  targets[0].result.model.cluster_display_name =
      "<img src=x onerror=alert(1)> & \"q\"";
  targets[0].result.model.shards[0].role_detail = "</script><script>x()";
  targets[0].result.model.version = "'v'";
  std::string html = StatusPageHtml(targets, kNow, {});
  EXPECT_THAT(html, Not(HasSubstr("<img")));
  EXPECT_THAT(html, HasSubstr("&lt;img src=x onerror=alert(1)&gt; &amp; "
                              "&quot;q&quot;"));
  EXPECT_THAT(html, HasSubstr("unknown (&lt;/script&gt;&lt;script&gt;x())"));
  EXPECT_THAT(html, HasSubstr("&#39;v&#39;"));
  // The JSON copy for the script cannot close its element either.
  EXPECT_THAT(html, Not(HasSubstr("</script><script>x()")));
  EXPECT_THAT(html, HasSubstr("\\u003c/script\\u003e\\u003cscript\\u003ex()"));
}

TEST(StatusPageHtml, NoTargetsSaysSo) {
  std::string html = StatusPageHtml({}, kNow, {});
  EXPECT_THAT(html, HasSubstr("No cluster reported yet."));
  EXPECT_THAT(html, HasSubstr("0 of 0 targets up"));
}

}  // namespace
}  // namespace dse
