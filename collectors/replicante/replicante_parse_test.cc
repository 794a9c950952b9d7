#include "collectors/replicante/replicante_parse.h"

#include "exporter/model/model_json.h"
#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::replicante {
namespace {

using ::testing::HasSubstr;

NodeModel Replica() { return OneShardModel(Role::kSecondary, 1234); }

TEST(ModelJson, RoundTripKeepsTheModel) {
  NodeModel model = Replica();
  model.cluster_display_name = "Session cache";
  Shard unknown;
  unknown.id = "0-5460";
  unknown.role = Role::kUnknown;
  unknown.role_detail = "handshake";
  unknown.lags = {Lag{"bytes", 10}, Lag{"seconds", 1.5}};
  model.shards.push_back(unknown);
  Shard recovering;
  recovering.id = "5461-10922";
  recovering.role = Role::kRecovering;
  model.shards.push_back(recovering);

  auto info = ParseDatastoreInfo(DumpJson(DatastoreInfoToJson(model, "redis")));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->cluster_id, "cache");
  EXPECT_EQ(info->cluster_display_name, "Session cache");
  EXPECT_EQ(info->kind, "redis");
  EXPECT_EQ(info->node, "127.0.0.1:6380");
  EXPECT_EQ(info->version, "7.0.15");

  auto shards = ParseShards(DumpJson(ShardsToJson(model)));
  ASSERT_TRUE(shards.ok()) << shards.status();
  ASSERT_EQ(shards->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const Shard& want = model.shards[i];
    const Shard& got = (*shards)[i];
    EXPECT_EQ(got.id, want.id);
    EXPECT_EQ(got.role, want.role);
    EXPECT_EQ(got.role_detail, want.role_detail);
    EXPECT_EQ(got.commit_offset.has_value(), want.commit_offset.has_value());
    if (got.commit_offset && want.commit_offset) {
      EXPECT_EQ(got.commit_offset->unit, want.commit_offset->unit);
      EXPECT_EQ(got.commit_offset->value, want.commit_offset->value);
    }
    ASSERT_EQ(got.lags.size(), want.lags.size()) << want.id;
    for (size_t j = 0; j < got.lags.size(); ++j) {
      EXPECT_EQ(got.lags[j].unit, want.lags[j].unit);
      EXPECT_EQ(got.lags[j].value, want.lags[j].value);
    }
  }
}

// The shapes Replicante's own agents send (from its agent model tests).
TEST(ParseShards, AcceptsTheReplicanteAgentsVariants) {
  auto shards = ParseShards(
      R"({"shards":[)"
      R"({"commit_offset":{"unit":"seconds","value":12345},"id":"rs0",)"
      R"("lag":{"unit":"seconds","value":0},"role":"primary"},)"
      R"({"id":"rs1","lag":{"unit":{"unit":"offset"},"value":7},)"
      R"("role":{"unknown":"ARBITER"}},)"
      R"({"commit_offset":null,"id":"rs2","role":"Secondary"},)"
      R"({"commit_offset":{"unit":"milliseconds","value":5},"id":"rs3",)"
      R"("lag":{"unit":"milliseconds","value":1500},"role":{"Other":"x"}},)"
      R"({"id":"rs4","role":"STARTUP2"}]})");
  ASSERT_TRUE(shards.ok()) << shards.status();
  ASSERT_EQ(shards->size(), 5u);
  const auto& s = *shards;
  EXPECT_EQ(s[0].role, Role::kPrimary);
  EXPECT_EQ(s[0].commit_offset->unit, "seconds");
  EXPECT_EQ(s[0].commit_offset->value, 12345u);
  ASSERT_EQ(s[0].lags.size(), 1u);
  EXPECT_EQ(s[0].lags[0].value, 0);
  EXPECT_EQ(s[1].role, Role::kUnknown);
  EXPECT_EQ(s[1].role_detail, "ARBITER");
  EXPECT_FALSE(s[1].commit_offset.has_value());
  EXPECT_EQ(s[1].lags[0].unit, "offset");
  EXPECT_EQ(s[2].role, Role::kSecondary);
  EXPECT_TRUE(s[2].lags.empty());
  EXPECT_EQ(s[3].commit_offset->unit, "milliseconds");
  EXPECT_EQ(s[3].lags[0].unit, "seconds");  // Lags in base units.
  EXPECT_EQ(s[3].lags[0].value, 1.5);
  EXPECT_EQ(s[3].role_detail, "x");
  EXPECT_EQ(s[4].role, Role::kUnknown);
  EXPECT_EQ(s[4].role_detail, "STARTUP2");
}

struct BadDocument {
  const char* text;
  const char* error;
};

TEST(ParseShards, BadDocumentsSayWhere) {
  const BadDocument table[] = {
      {"", "not valid JSON"},
      {"{\"shards\":", "not valid JSON"},
      {"[]", "document: expected an object, got a list"},
      {"{}", "missing \"shards\""},
      {R"({"shards":{}})", "shards: expected a list, got an object"},
      {R"({"shards":[{"role":"primary"}]})",
       "shards[0].id: expected a non-empty string"},
      {R"({"shards":[{"id":"a"}]})", "shards[0]: missing role"},
      {R"({"shards":[{"id":"a","role":7}]})",
       "shards[0].role: expected \"primary\", \"secondary\", \"recovering\" or "
       "{\"unknown\": STATE}, got an integer"},
      {R"({"shards":[{"id":"a","role":"primary","commit_offset":{"unit":"x",)"
       R"("value":1}}]})",
       "shards[0].commit_offset.unit: expected \"seconds\" or {\"unit\": "
       "NAME}, got \"x\""},
      {R"({"shards":[{"id":"a","role":"primary","commit_offset":{"unit":)"
       R"("seconds","value":-1}}]})",
       "shards[0].commit_offset.value: a commit offset cannot be negative, got "
       "-1"},
      {R"({"shards":[{"id":"a","role":"primary","commit_offset":{"unit":)"
       R"("seconds","value":1.5}}]})",
       "shards[0].commit_offset.value: expected an integer, got a number with "
       "a fraction"},
      {R"({"shards":[{"id":"a","role":"primary","lag":{"unit":"seconds"}}]})",
       "shards[0].lag: missing value"},
      {R"({"shards":[{"id":"a","role":"primary","lag":{"unit":"seconds",)"
       R"("value":"1"}}]})",
       "shards[0].lag.value: expected a number, got a string"},
      {R"({"shards":[{"id":"a","role":"primary"},{"id":"a","role":"primary"}]})",
       "shards[1].id: duplicate shard \"a\""},
  };
  for (const BadDocument& bad : table) {
    auto shards = ParseShards(bad.text);
    ASSERT_FALSE(shards.ok()) << bad.text;
    EXPECT_EQ(shards.status().message(), bad.error) << bad.text;
  }
}

TEST(ParseDatastoreInfo, LenientAboutAbsentFieldsStrictAboutTypes) {
  auto info = ParseDatastoreInfo(R"({"cluster_id":"c","node_id":"n"})");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->cluster_id, "c");
  EXPECT_EQ(info->version, "");
  auto bad = ParseDatastoreInfo(R"({"cluster_id":5})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "cluster_id: expected a string, got an integer");
}

}  // namespace
}  // namespace dse::replicante
