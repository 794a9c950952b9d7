#include "collectors/replicante/replicante_mapping.h"

#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::replicante {
namespace {

using ::testing::HasSubstr;

TargetConfig Config(const std::string& address,
                    std::map<std::string, std::string> options = {}) {
  TargetConfig config;
  config.name = "t";
  config.kind = "replicante";
  config.address = address;
  config.endpoint = ParseHostPort(address, 0).value();
  config.options = std::move(options);
  return config;
}

TEST(EndpointFromConfig, DefaultsAndOptions) {
  auto plain = EndpointFromConfig(Config("127.0.0.1:9755"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(AgentUrl(*plain, kShardsPath),
            "http://127.0.0.1:9755/api/unstable/shards");

  auto chosen = EndpointFromConfig(
      Config("[::1]:37017", {{"scheme", "https"}, {"target", "cache a/1&b"}}));
  ASSERT_TRUE(chosen.ok()) << chosen.status();
  EXPECT_EQ(AgentUrl(*chosen, kInfoPath),
            "https://[::1]:37017/api/unstable/info/datastore"
            "?target=cache%20a%2F1%26b");

  auto bad = EndpointFromConfig(Config("h:1", {{"scheme", "ftp"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "option scheme: expected http or https, got \"ftp\"");
}

// Documents served by datastore_exporter over a real Redis pair (see
// fixtures/README.md).
TEST(BuildModel, FromOurExporterOverARedisPrimary) {
  auto model = BuildModel(
      ReadFixture("info_datastore_exporter-0.1.0_redis_primary.json"),
      ReadFixture("shards_datastore_exporter-0.1.0_redis_primary.json"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->cluster_id, "cache");
  EXPECT_EQ(model->cluster_display_name, "Session cache");
  EXPECT_EQ(model->version, "7.0.15");
  EXPECT_THAT(model->node, HasSubstr("127.0.0.1:"));
  ASSERT_EQ(model->shards.size(), 1u);
  EXPECT_EQ(model->shards[0].id, "cache");
  EXPECT_EQ(model->shards[0].role, Role::kPrimary);
  ASSERT_TRUE(model->shards[0].commit_offset.has_value());
  EXPECT_EQ(model->shards[0].commit_offset->unit, "bytes");
  EXPECT_GT(model->shards[0].commit_offset->value, 0u);
  EXPECT_TRUE(model->shards[0].lags.empty());
}

TEST(BuildModel, FromOurExporterOverARedisReplica) {
  auto model = BuildModel(
      ReadFixture("info_datastore_exporter-0.1.0_redis_replica.json"),
      ReadFixture("shards_datastore_exporter-0.1.0_redis_replica.json"));
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->cluster_id, "cache");
  ASSERT_EQ(model->shards.size(), 1u);
  EXPECT_EQ(model->shards[0].role, Role::kSecondary);
}

TEST(BuildModel, ErrorsNameTheDocument) {
  auto bad_info = BuildModel("{", R"({"shards":[]})");
  ASSERT_FALSE(bad_info.ok());
  EXPECT_EQ(bad_info.status().message(),
            "/api/unstable/info/datastore: not valid JSON");
  auto bad_shards = BuildModel("{}", R"({"shards":[{"id":"a"}]})");
  ASSERT_FALSE(bad_shards.ok());
  EXPECT_EQ(bad_shards.status().message(),
            "/api/unstable/shards: shards[0]: missing role");
}

TEST(ErrorBodyMessage, JsonErrorFieldElseFirstLine) {
  EXPECT_EQ(ErrorBodyMessage(ReadFixture(
                "shards_datastore_exporter-0.1.0_unknown_target.json")),
            "unknown target \"nope\" (configured: \"primary\", \"replica\")");
  EXPECT_EQ(ErrorBodyMessage("not found: /api/unstable/shards\nmore"),
            "not found: /api/unstable/shards");
  EXPECT_EQ(ErrorBodyMessage(std::string(500, 'x')),
            std::string(200, 'x') + "...");
}

}  // namespace
}  // namespace dse::replicante
