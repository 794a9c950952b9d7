// The model API (/api/unstable/...) and the "replicante" kind, end to end:
// exporter A serves a real Redis pair; exporter B reads A's agent API with
// `kind: replicante` and must export the same model.

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/redis_fixture.h"

namespace dse::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class ModelApiTest : public DatastoreTest<RedisFixture> {
 protected:
  ModelApiTest() : DatastoreTest({"primary", "replica"}) {}

  // Exporter A: the Redis pair.
  std::unique_ptr<ExporterProcess> StartA() const {
    return StartExporter("    cluster_display_name: Sessions\n");
  }

  // Exporter B: one replicante target per name, reading A.
  std::unique_ptr<ExporterProcess> StartB(const ExporterProcess& a,
                                          const std::vector<std::string>& names,
                                          const std::string& extra = "") {
    const std::string address = a.url("").substr(std::string("http://").size());
    std::string config = "targets:\n";
    for (const std::string& name : names) {
      absl::StrAppend(&config, "  - name: ", name,
                      "\n    kind: replicante\n    address: \"", address,
                      "\"\n    options: {target: ", name, "}\n", extra);
    }
    return ExporterProcess::StartOrFail(dir_, config);
  }
};

json GetJson(const std::string& url, long* status) {
  HttpResult result = HttpFetch(url);
  *status = result.status;
  EXPECT_THAT(result.headers, HasSubstr("Content-Type: application/json"));
  json document = json::parse(result.body, nullptr, false);
  EXPECT_FALSE(document.is_discarded()) << result.body;
  return document;
}

TEST_F(ModelApiTest, ServesEachTargetInTheAgentApiShape) {
  auto a = StartA();
  ASSERT_NE(a, nullptr);
  long status = 0;
  json info =
      GetJson(a->url("/api/unstable/info/datastore?target=primary"), &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(
      info,
      json({{"cluster_display_name", "Sessions"},
            {"cluster_id", "cache"},
            {"kind", "redis"},
            {"node_id", topology_.address(0)},
            {"version", topology_.server(0).InfoField("redis_version")}}));

  json primary =
      GetJson(a->url("/api/unstable/shards?target=primary"), &status);
  EXPECT_EQ(status, 200);
  ASSERT_EQ(primary["shards"].size(), 1u);
  EXPECT_EQ(primary["shards"][0]["id"], "cache");
  EXPECT_EQ(primary["shards"][0]["role"], "primary");
  EXPECT_EQ(primary["shards"][0]["commit_offset"]["unit"],
            json({{"unit", "bytes"}}));
  EXPECT_GT(primary["shards"][0]["commit_offset"]["value"].get<uint64_t>(), 0u);
  EXPECT_EQ(primary["shards"][0]["lag"], nullptr);  // Redis gives none.
  json replica =
      GetJson(a->url("/api/unstable/shards?target=replica"), &status);
  EXPECT_EQ(replica["shards"][0]["role"], "secondary");

  json ambiguous = GetJson(a->url("/api/unstable/shards"), &status);
  EXPECT_EQ(status, 400);
  EXPECT_THAT(ambiguous["error"].get<std::string>(),
              HasSubstr("one of \"primary\", \"replica\""));
  json unknown =
      GetJson(a->url("/api/unstable/info/datastore?target=nope"), &status);
  EXPECT_EQ(status, 404);
  EXPECT_THAT(unknown["error"].get<std::string>(),
              HasSubstr("unknown target \"nope\""));

  ASSERT_TRUE(topology_.FailOver().ok());
  json down = GetJson(a->url("/api/unstable/shards?target=primary"), &status);
  EXPECT_EQ(status, 503);
  EXPECT_THAT(down["error"].get<std::string>(),
              HasSubstr("target \"primary\" is down: "));
  json promoted =
      GetJson(a->url("/api/unstable/shards?target=replica"), &status);
  EXPECT_EQ(promoted["shards"][0]["role"], "primary");
}

// The model series of a scrape, `kind` label dropped (it names how the
// model was read), without the series that describe the collection itself.
std::vector<std::string> ModelSeries(const std::vector<Sample>& samples,
                                     const std::vector<std::string>& targets) {
  std::vector<std::string> series;
  for (const Sample& sample : samples) {
    // Not the model: timings, and the exporter's own build and telemetry.
    if (sample.name == "datastore_collect_duration_seconds" ||
        absl::StartsWith(sample.name, "datastore_exporter_")) {
      continue;
    }
    auto target = sample.labels.find("target");
    if (target == sample.labels.end() ||
        std::find(targets.begin(), targets.end(), target->second) ==
            targets.end()) {
      continue;
    }
    std::vector<std::string> labels;
    for (const auto& [name, value] : sample.labels) {
      if (name != "kind") labels.push_back(absl::StrCat(name, "=", value));
    }
    series.push_back(absl::StrCat(sample.name, "{", absl::StrJoin(labels, ","),
                                  "} ", sample.value));
  }
  std::sort(series.begin(), series.end());
  return series;
}

TEST_F(ModelApiTest, ReplicanteKindReadsTheSameModelBack) {
  auto a = StartA();
  ASSERT_NE(a, nullptr);
  auto b = StartB(*a, {"primary", "replica", "nope"});
  ASSERT_NE(b, nullptr);

  const std::vector<std::string> pair = {"primary", "replica"};
  std::vector<std::string> direct, through_api;
  std::vector<Sample> b_samples;
  // The primary pings its replica now and then, moving both offsets: compare
  // two scrapes taken back to back, again if such a ping fell between them.
  for (int attempt = 0; attempt < 5; ++attempt) {
    b_samples = b->Scrape();
    through_api = ModelSeries(b_samples, pair);
    direct = ModelSeries(a->Scrape(), pair);
    if (direct == through_api) break;
  }
  EXPECT_EQ(through_api, direct);
  // A model, not nothing: info, four role series and an offset per node.
  EXPECT_EQ(direct.size(), 2u * (1 + 1 + 4 + 1));
  EXPECT_EQ(ValueOf(b_samples, "datastore_up",
                    {{"target", "primary"}, {"kind", "replicante"}}),
            1);

  // A target the remote does not have is down with the remote's reason.
  EXPECT_EQ(ValueOf(b_samples, "datastore_up", {{"target", "nope"}}), 0);
  HttpResult status = HttpFetch(b->url("/api/status"));
  EXPECT_THAT(status.body,
              HasSubstr("GET /api/unstable/info/datastore: HTTP 404: unknown "
                        "target \\\"nope\\\""));

  // After a failover, the model read through the API follows.
  ASSERT_TRUE(topology_.FailOver().ok());
  std::vector<Sample> after = b->Scrape();
  EXPECT_EQ(ValueOf(after, "datastore_up", {{"target", "primary"}}), 0);
  EXPECT_EQ(ValueOf(after, "datastore_shard_role",
                    {{"target", "replica"}, {"role", "primary"}}),
            1);
  HttpResult page = HttpFetch(b->url("/"));
  EXPECT_THAT(page.body, HasSubstr("HTTP 503: target &quot;primary&quot; is "
                                   "down: connect: Connection refused"));
}

TEST_F(ModelApiTest, SidecarFormNeedsNoClusterId) {
  auto a = StartA();
  ASSERT_NE(a, nullptr);
  const std::string address = a->url("").substr(std::string("http://").size());
  auto b = ExporterProcess::Start(
      dir_, "", {"--target=replicante://" + address + "?target=replica"});
  ASSERT_TRUE(b.ok()) << b.status();
  std::vector<Sample> samples = (*b)->Scrape();
  EXPECT_EQ(ValueOf(samples, "datastore_shard_role",
                    {{"cluster_id", "cache"}, {"role", "secondary"}}),
            1);
}

TEST_F(ModelApiTest, BasicAuthPasswordFromFileNeverShown) {
  const std::string password = "Agent-Pw-51c2e-unique";
  const std::string web = dir_.path() + "/web.yml";
  WriteFile(web, absl::StrCat(
                     "basic_auth_users:\n  scraper: ", Bcrypt(password), "\n"));
  const std::string config = dir_.path() + "/a.yml";
  WriteFile(config,
            absl::StrCat("targets:\n  - {name: replica, kind: redis, "
                         "address: \"",
                         topology_.address(1), "\", cluster_id: cache}\n"));
  // ExporterProcess waits for /-/healthy without credentials, which basic
  // auth refuses: start exporter A by hand.
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  ProcessOptions options;
  options.log_path = dir_.path() + "/a.log";
  auto a = Process::Start(
      {ExporterBinary(), "--config.file=" + config, "--web.config.file=" + web,
       "--web.listen-address=" + address},
      options);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(WaitFor(
      [&] {
        return HttpFetch("http://" + address + "/-/healthy", "GET", {}, 1000)
                   .status == 401;
      },
      absl::Seconds(10)))
      << ReadFile(options.log_path);
  WriteFile(dir_.path() + "/good", password + "\n");
  WriteFile(dir_.path() + "/bad", "Wrong-Agent-Pw-unique\n");
  auto b = ExporterProcess::Start(
      dir_, absl::StrCat(
                "targets:\n"
                "  - {name: good, kind: replicante, address: \"",
                address, "\", username: scraper, password_file: ", dir_.path(),
                "/good, options: {target: replica}}\n"
                "  - {name: bad, kind: replicante, address: \"",
                address, "\", username: scraper, password_file: ", dir_.path(),
                "/bad, options: {target: replica}}\n"));
  ASSERT_TRUE(b.ok()) << b.status();
  std::string raw;
  std::vector<Sample> samples = (*b)->Scrape(&raw);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "good"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "bad"}}), 0);
  HttpResult status = HttpFetch((*b)->url("/api/status"));
  EXPECT_THAT(status.body, HasSubstr("HTTP 401"));
  HttpResult page = HttpFetch((*b)->url("/"));
  for (const std::string& secret :
       {password, std::string("Wrong-Agent-Pw-unique")}) {
    EXPECT_THAT(raw, Not(HasSubstr(secret)));
    EXPECT_THAT(status.body, Not(HasSubstr(secret)));
    EXPECT_THAT(page.body, Not(HasSubstr(secret)));
    EXPECT_THAT((*b)->Logs(), Not(HasSubstr(secret)));
  }
}

}  // namespace
}  // namespace dse::testing
