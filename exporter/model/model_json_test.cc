#include "exporter/model/model_json.h"

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse {
namespace {

using ::testing::HasSubstr;

NodeModel Replica() { return OneShardModel(Role::kSecondary, 1234); }

TEST(ModelJson, DatastoreInfoHasTheAgentApiShape) {
  NodeModel model = Replica();
  EXPECT_EQ(DumpJson(DatastoreInfoToJson(model, "redis")),
            R"({"cluster_display_name":null,"cluster_id":"cache",)"
            R"("kind":"redis","node_id":"127.0.0.1:6380","version":"7.0.15"})");
  model.cluster_display_name = "Session cache";
  EXPECT_THAT(DumpJson(DatastoreInfoToJson(model, "redis")),
              HasSubstr(R"("cluster_display_name":"Session cache")"));
}

TEST(ModelJson, ShardsHaveTheAgentApiShape) {
  EXPECT_EQ(DumpJson(ShardsToJson(Replica())),
            R"({"shards":[{"commit_offset":{"unit":{"unit":"bytes"},)"
            R"("value":1234},"id":"cache","lag":null,"role":"secondary"}]})");
}

TEST(ModelJson, RolesAndUnits) {
  EXPECT_EQ(RoleToJson(Role::kPrimary, ""), "primary");
  EXPECT_EQ(RoleToJson(Role::kSecondary, ""), "secondary");
  EXPECT_EQ(RoleToJson(Role::kRecovering, ""), "recovering");
  EXPECT_EQ(DumpJson(RoleToJson(Role::kUnknown, "observer")),
            R"({"unknown":"observer"})");
  EXPECT_EQ(UnitToJson("seconds"), "seconds");
  EXPECT_EQ(DumpJson(UnitToJson("zxid")), R"({"unit":"zxid"})");
}

TEST(ModelJson, LagsIntegralAsIntegersSeveralInTheLagsExtension) {
  Shard shard;
  shard.id = "s";
  shard.role = Role::kSecondary;
  shard.lags = {Lag{"bytes", 4096}};
  EXPECT_EQ(DumpJson(ShardToJson(shard)),
            R"({"commit_offset":null,"id":"s",)"
            R"("lag":{"unit":{"unit":"bytes"},"value":4096},)"
            R"("role":"secondary"})");
  shard.lags.push_back(Lag{"seconds", 0.25});
  EXPECT_EQ(DumpJson(ShardToJson(shard)),
            R"({"commit_offset":null,"id":"s",)"
            R"("lag":{"unit":{"unit":"bytes"},"value":4096},)"
            R"("lags":[{"unit":{"unit":"bytes"},"value":4096},)"
            R"({"unit":"seconds","value":0.25}],"role":"secondary"})");
}

TEST(ModelJson, InvalidUtf8IsReplacedNotThrown) {
  NodeModel model = Replica();
  model.version = "7.0\xff";
  EXPECT_THAT(DumpJson(DatastoreInfoToJson(model, "redis")),
              HasSubstr("\"version\":\"7.0\xef\xbf\xbd\""));
}

}  // namespace
}  // namespace dse
