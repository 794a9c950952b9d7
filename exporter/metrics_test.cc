#include "exporter/metrics.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TargetResult Up() {
  TargetResult result;
  result.target = "cache-a";
  result.kind = "redis";
  result.up = true;
  result.duration_seconds = 0.002;
  result.model.cluster_id = "cache";
  result.model.node = "127.0.0.1:6379";
  result.model.version = "7.0.15";
  Shard shard;
  shard.id = "cache";
  shard.role = Role::kSecondary;
  shard.commit_offset = CommitOffset{"bytes", 1234};
  shard.lags.push_back(Lag{"seconds", 1.5});
  result.model.shards.push_back(shard);
  return result;
}

TEST(BuildFamilies, FollowsTheMetricContract) {
  std::string text = SerializeText(BuildFamilies({Up()}));
  EXPECT_THAT(text,
              HasSubstr("datastore_up{target=\"cache-a\",kind=\"redis\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("datastore_info{target=\"cache-a\",kind="
                              "\"redis\",cluster_id=\"cache\","
                              "cluster_display_name=\"\",node=\"127.0.0.1:"
                              "6379\",version=\"7.0.15\"} 1\n"));
  const std::string role_prefix =
      "datastore_shard_role{target=\"cache-a\",cluster_id=\"cache\","
      "node=\"127.0.0.1:6379\",shard=\"cache\",role=";
  EXPECT_THAT(text, HasSubstr(role_prefix + "\"primary\"} 0\n"));
  EXPECT_THAT(text, HasSubstr(role_prefix + "\"secondary\"} 1\n"));
  EXPECT_THAT(text, HasSubstr(role_prefix + "\"recovering\"} 0\n"));
  EXPECT_THAT(text, HasSubstr(role_prefix + "\"unknown\"} 0\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "datastore_shard_commit_offset{target=\"cache-a\",cluster_id="
          "\"cache\","
          "node=\"127.0.0.1:6379\",shard=\"cache\",unit=\"bytes\"} 1234\n"));
  EXPECT_THAT(
      text,
      HasSubstr(
          "datastore_shard_replication_lag{target=\"cache-a\",cluster_id="
          "\"cache\","
          "node=\"127.0.0.1:6379\",shard=\"cache\",unit=\"seconds\"} 1.5\n"));
  EXPECT_THAT(text, HasSubstr("datastore_collect_duration_seconds{target="
                              "\"cache-a\",kind=\"redis\"} 0.002"));
  EXPECT_THAT(text, HasSubstr("# TYPE datastore_up gauge\n"));
  EXPECT_THAT(text, HasSubstr("datastore_exporter_build_info{version=\""));
}

TEST(BuildFamilies, DownTargetHasOnlyUpAndDuration) {
  TargetResult down = Up();
  down.up = false;
  down.error = "connect: Connection refused";
  std::string text = SerializeText(BuildFamilies({down}));
  EXPECT_THAT(text,
              HasSubstr("datastore_up{target=\"cache-a\",kind=\"redis\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("datastore_collect_duration_seconds{"));
  EXPECT_THAT(text, Not(HasSubstr("datastore_info{")));
  EXPECT_THAT(text, Not(HasSubstr("datastore_shard_role{")));
  EXPECT_THAT(text, Not(HasSubstr("datastore_shard_commit_offset{")));
}

TEST(BuildFamilies, UnknownIsAbsentNeverZero) {
  TargetResult result = Up();
  result.model.shards[0].commit_offset.reset();
  result.model.shards[0].lags.clear();
  std::string text = SerializeText(BuildFamilies({result}));
  EXPECT_THAT(text, Not(HasSubstr("datastore_shard_commit_offset")));
  EXPECT_THAT(text, Not(HasSubstr("datastore_shard_replication_lag")));
}

TEST(BuildFamilies, EscapesLabelValues) {
  TargetResult result = Up();
  result.model.cluster_display_name = "a \"quoted\"\nname\\";
  std::string text = SerializeText(BuildFamilies({result}));
  EXPECT_THAT(
      text, HasSubstr("cluster_display_name=\"a \\\"quoted\\\"\\nname\\\\\""));
}

TEST(BuildFamilies, LargeOffsetsKeepTheirValue) {
  TargetResult result = Up();
  result.model.shards[0].commit_offset->value = 1ull << 52;
  std::string text = SerializeText(BuildFamilies({result}));
  EXPECT_THAT(text, HasSubstr("unit=\"bytes\"} 4503599627370496\n"));
}

}  // namespace
}  // namespace dse
