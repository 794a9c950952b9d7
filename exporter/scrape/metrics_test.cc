#include "exporter/scrape/metrics.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "exporter/model/model.h"
#include "exporter/model/model_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace dse {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The families as prometheus-cpp's serializer writes them.
std::string Text(const std::vector<TargetResult>& results) {
  return prometheus::TextSerializer().Serialize(BuildFamilies(results));
}

TargetResult Up() {
  TargetResult result;
  result.target = "cache-a";
  result.kind = "redis";
  result.up = true;
  result.duration_seconds = 0.002;
  result.model = OneShardModel(Role::kSecondary, 1234);
  result.model.node = "127.0.0.1:6379";
  result.model.shards[0].lags.push_back(Lag{"seconds", 1.5});
  return result;
}

// Every family, several targets and shards, units, escapes, repaired
// UTF-8, extreme values: the golden below was written by the exporter's own
// serializer before prometheus-cpp carried the metrics (commit 'Golden
// texts'), proving that the switch changed no byte of the model's output.
std::vector<TargetResult> GoldenResults() {
  std::vector<TargetResult> results;
  TargetResult a = Up();
  a.model.shards[0].lags.push_back(Lag{"bytes", 0});
  a.model.shards[0].lags.push_back(Lag{"operations", 3.25e-7});
  results.push_back(a);
  TargetResult b;
  b.target = "pg \"main\"\\";
  b.kind = "postgresql";
  b.up = true;
  b.duration_seconds = 0.0123456789;
  b.model.cluster_id = "7301234567890123456";
  b.model.cluster_display_name = "line\nbreak " + ValidUtf8("caf\xC3\xA9 \xFF");
  b.model.node = "[::1]:5432";
  b.model.version = "15.18 (Debian 15.18-0+deb12u1)";
  for (int i = 0; i < 3; ++i) {
    Shard shard;
    shard.id = "shard-" + std::to_string(i);
    shard.role = i == 0   ? Role::kPrimary
                 : i == 1 ? Role::kRecovering
                          : Role::kUnknown;
    if (i != 2) shard.commit_offset = CommitOffset{"lsn", ~0ull >> i};
    if (i == 1) shard.lags.push_back(Lag{"seconds", 12345678.901234567});
    b.model.shards.push_back(shard);
  }
  results.push_back(b);
  TargetResult down;
  down.target = "zk-1";
  down.kind = "zookeeper";
  down.duration_seconds = 2.000001;
  down.error = "connect: Connection refused";
  results.push_back(down);
  TargetResult empty;
  empty.target = "etcd-1";
  empty.kind = "etcd";
  empty.up = true;
  empty.model.cluster_id = "cdf818194e3a8c32";
  empty.model.node = "8e9e05c52164694d";
  results.push_back(empty);
  return results;
}

// build_info's version and revision change with every commit.
std::string MaskBuildInfo(std::string text) {
  const std::string series = "\ndatastore_exporter_build_info{";
  const size_t start = text.find(series);
  if (start == std::string::npos) return text;
  const size_t end = text.find('}', start);
  text.replace(start + series.size(), end - start - series.size(), "MASKED");
  return text;
}

TEST(BuildFamilies, TextIsTheGoldenByteForByte) {
  const std::string path = "testdata/families.golden.txt";
  const std::string text = MaskBuildInfo(Text(GoldenResults()));
  if (std::getenv("DSE_WRITE_GOLDEN") != nullptr) std::ofstream(path) << text;
  EXPECT_EQ(text, ReadTestFile(path));
}

TEST(BuildFamilies, FollowsTheMetricContract) {
  std::string text = Text({Up()});
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
  std::string text = Text({down});
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
  std::string text = Text({result});
  EXPECT_THAT(text, Not(HasSubstr("datastore_shard_commit_offset")));
  EXPECT_THAT(text, Not(HasSubstr("datastore_shard_replication_lag")));
}

TEST(BuildFamilies, EscapesLabelValues) {
  TargetResult result = Up();
  result.model.cluster_display_name = "a \"quoted\"\nname\\";
  std::string text = Text({result});
  EXPECT_THAT(
      text, HasSubstr("cluster_display_name=\"a \\\"quoted\\\"\\nname\\\\\""));
}

TEST(BuildFamilies, LargeOffsetsKeepTheirValue) {
  TargetResult result = Up();
  result.model.shards[0].commit_offset->value = 1ull << 52;
  std::string text = Text({result});
  EXPECT_THAT(text, HasSubstr("unit=\"bytes\"} 4503599627370496\n"));
}

TEST(BuildFamilies, OffsetsBeyond16DigitsUseExponentNotation) {
  TargetResult result = Up();
  result.model.shards[0].commit_offset->value = ~0ull;
  std::string text = Text({result});
  EXPECT_THAT(text, HasSubstr("unit=\"bytes\"} 1.844674407370955e+19\n"));
}

TEST(ValidUtf8, ReplacesWhatIsNotWellFormed) {
  EXPECT_EQ(ValidUtf8("plain ascii"), "plain ascii");
  EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  const std::string bad = "\xEF\xBF\xBD";  // U+FFFD
  EXPECT_EQ(ValidUtf8("a\xFF"
                      "b"),
            "a" + bad + "b");
  EXPECT_EQ(ValidUtf8(std::string("a\0b", 3)), "a" + bad + "b");
  EXPECT_EQ(ValidUtf8("\xC0\xAF"), bad + bad);            // Overlong '/'.
  EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), bad + bad + bad);  // Surrogate.
  EXPECT_EQ(ValidUtf8("\xF4\x90\x80\x80"), bad + bad + bad + bad);
  EXPECT_EQ(ValidUtf8("cut \xE2\x82"), "cut " + bad + bad);

  NodeModel model;
  model.node = "n\xFF";
  model.shards.push_back(Shard{"s\xFE", Role::kPrimary, "", std::nullopt, {}});
  MakeValidUtf8(model);
  EXPECT_EQ(model.node, "n" + bad);
  EXPECT_EQ(model.shards[0].id, "s" + bad);
}

}  // namespace
}  // namespace dse
