// End-to-end tests of the exporter binary against real redis-server
// processes on free loopback ports.
#include <signal.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/redis_server.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra = "") {
  return TargetBlock(name, "redis", address,
                     std::string("    cluster_id: cache\n") + extra);
}

// A primary and its replica; what every kind shows (roles, offsets after a
// write, hung and stopped nodes, failover) is in cross_kind_test.cc.
class RedisPairTest : public DatastoreTest<RedisFixture> {
 protected:
  RedisPairTest() : DatastoreTest({"primary", "replica"}) {}

  RedisServer& primary() { return topology_.server(0); }
  RedisServer& replica() { return topology_.server(1); }
};

TEST_F(RedisPairTest, NodeIsTheAddressOffsetIsTheReplicationOffsetNoLag) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> samples = exporter->Scrape();

  for (const char* target : {"primary", "replica"}) {
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    EXPECT_THAT(info[0].labels["version"],
                ::testing::MatchesRegex("[0-9]+\\.[0-9]+\\.[0-9]+"));
  }
  EXPECT_EQ(Select(samples, "datastore_info", {{"target", "primary"}})[0]
                .labels["node"],
            primary().address());

  double primary_offset = ValueOf(samples, "datastore_shard_commit_offset",
                                  {{"target", "primary"}, {"unit", "bytes"}});
  double replica_offset = ValueOf(samples, "datastore_shard_commit_offset",
                                  {{"target", "replica"}, {"unit", "bytes"}});
  EXPECT_GT(primary_offset, 0);
  EXPECT_EQ(primary_offset,
            std::stod(primary().InfoField("master_repl_offset")));
  // Both were equal before the scrape; the primary may have sent a PING since.
  EXPECT_LE(replica_offset, primary_offset);
  EXPECT_GT(replica_offset, 0);
  // Redis gives no local lag: the series is absent, not zero.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag").empty());
}

TEST_F(RedisPairTest, ReplicaOfALostPrimaryIsRecovering) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  ASSERT_EQ(RoleOf(exporter->Scrape(), "replica"), "secondary");
  // The primary goes away: the replica's link drops and it is recovering.
  primary().process().Stop();
  EXPECT_TRUE(WaitFor(
      [&] { return RoleOf(exporter->Scrape(), "replica") == "recovering"; },
      absl::Seconds(10)));
}

TEST_F(RedisPairTest, PrometheusScrapeTimeoutHeaderBoundsTheScrape) {
  auto exporter = StartExporter("    timeout: 20s\n");
  ASSERT_NE(exporter, nullptr);
  replica().process().Signal(SIGSTOP);
  absl::Time start = absl::Now();
  HttpResult result = HttpFetch(exporter->url("/metrics"), "GET",
                                {"X-Prometheus-Scrape-Timeout-Seconds: 1"});
  absl::Duration took = absl::Now() - start;
  replica().process().Signal(SIGCONT);
  EXPECT_EQ(result.status, 200);
  EXPECT_LT(took, absl::Seconds(5));  // Not the 20 s target timeout.
  std::vector<Sample> samples = ParseExposition(result.body);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "replica"}}), 0);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "primary"}}), 1);
}

TEST_F(RedisPairTest, LandingPageShowsTargetsAndLastError) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  replica().process().Stop();
  exporter->Scrape();
  HttpResult page = HttpFetch(exporter->url("/"));
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, HasSubstr("primary"));
  EXPECT_THAT(page.body, HasSubstr(replica().address()));
  EXPECT_THAT(page.body, HasSubstr("Connection refused"));
}

TEST_F(RedisPairTest, PromtoolCheckMetricsIsClean) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::string raw;
  exporter->Scrape(&raw);
  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

TEST_F(RedisPairTest, GzipAndContentType) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  HttpResult result =
      HttpFetch(exporter->url("/metrics"), "GET", {"Accept-Encoding: gzip"});
  EXPECT_EQ(result.status, 200);
  EXPECT_THAT(
      result.headers,
      HasSubstr("Content-Type: text/plain; version=0.0.4; charset=utf-8"));
  EXPECT_THAT(result.headers, HasSubstr("Content-Encoding: gzip"));
}

// What changes from run to run in a scrape: collection times, loopback
// ports, the server's version and the exporter's build.
std::string MaskForGolden(const std::string& text) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (line.empty()) continue;
    std::string masked(line);
    if (absl::StartsWith(masked, "datastore_collect_duration_seconds{")) {
      masked = masked.substr(0, masked.rfind(' ')) + " TIME";
    }
    for (const char* key : {"version=\"", "revision=\""}) {
      const size_t at = masked.find(key);
      if (at == std::string::npos) continue;
      const size_t value = at + std::strlen(key);
      masked.replace(value, masked.find('"', value) - value,
                     key[0] == 'v' ? "V" : "R");
    }
    const std::string loopback = "127.0.0.1:";
    for (size_t at = masked.find(loopback); at != std::string::npos;
         at = masked.find(loopback, at + loopback.size())) {
      size_t end = at + loopback.size();
      while (end < masked.size() && absl::ascii_isdigit(masked[end])) ++end;
      masked.replace(at + loopback.size(), end - at - loopback.size(), "PORT");
    }
    absl::StrAppend(&out, masked, "\n");
  }
  return out;
}

// The model's series of a real scrape (and of a /probe) against the
// golden recorded before prometheus-cpp carried the metrics: same names,
// labels, order and values. Masked: collection times, ports, the server's
// version and the exporter's build. Only the model's families are compared,
// not the exporter's own telemetry.
TEST(RedisGoldenTest, RealScrapeAndProbeAreTheGolden) {
  TempDir dir;
  auto redis = RedisServer::Start(dir);
  ASSERT_TRUE(redis.ok()) << redis.status();
  const int nothing = FreePort();
  auto exporter = ExporterProcess::Start(
      dir, absl::StrCat("targets:\n", TargetYaml("solo", (*redis)->address()),
                        TargetYaml("gone", absl::StrCat("127.0.0.1:", nothing)),
                        "modules:\n  cache:\n    kind: redis\n"
                        "    cluster_id: probed\n"
                        "    allowed_targets: [\"127.0.0.1:*\"]\n"));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  auto model_only = [&](const std::string& text) {
    std::string kept;
    for (absl::string_view line : absl::StrSplit(text, '\n')) {
      absl::string_view name = line;
      absl::ConsumePrefix(&name, "# HELP ");
      absl::ConsumePrefix(&name, "# TYPE ");
      if (!absl::StartsWith(name, "datastore_")) continue;
      if (absl::StartsWith(name, "datastore_exporter_") &&
          !absl::StartsWith(name, "datastore_exporter_build_info"))
        continue;
      absl::StrAppend(&kept, line, "\n");
    }
    return MaskForGolden(kept);
  };
  HttpResult metrics = HttpFetch((*exporter)->url("/metrics"));
  HttpResult probe = HttpFetch(
      (*exporter)->url("/probe?module=cache&target=" + (*redis)->address()));
  ASSERT_EQ(metrics.status, 200);
  ASSERT_EQ(probe.status, 200);
  const std::string text = absl::StrCat(model_only(metrics.body), "# /probe\n",
                                        model_only(probe.body));
  const std::string path =
      DSE_SOURCE_DIR "/tests/integration/testdata/redis_scrape.golden.txt";
  if (std::getenv("DSE_WRITE_GOLDEN") != nullptr) WriteFile(path, text);
  EXPECT_EQ(text, ReadFile(path));
}

TEST(RedisAuthTest, PasswordFromFileAndWrongPasswordNeverShown) {
  TempDir dir;
  const std::string password = "Pw-7f3a9c-unique";
  auto server = RedisServer::Start(dir, {"--requirepass", password});
  ASSERT_TRUE(server.ok()) << server.status();
  std::string good = dir.path() + "/good", bad = dir.path() + "/bad";
  WriteFile(good, password + "\n");
  WriteFile(bad, "Wrong-9d2e-unique\n");
  std::string config =
      absl::StrCat("targets:\n",
                   TargetYaml("good", (*server)->address(),
                              "    password_file: " + good + "\n"),
                   TargetYaml("bad", (*server)->address(),
                              "    password_file: " + bad + "\n"),
                   TargetYaml("env", (*server)->address(),
                              "    password_env: DSE_TEST_REDIS_PASSWORD\n"));
  auto exporter =
      ExporterProcess::Start(dir, config, {"--log.level=debug"},
                             {"DSE_TEST_REDIS_PASSWORD=" + password});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::string raw;
  std::vector<Sample> samples = (*exporter)->Scrape(&raw);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "good"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "env"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "bad"}}), 0);
  // The exporter's own telemetry says why: someone must fix the password.
  EXPECT_EQ(ValueOf(samples, "datastore_exporter_collection_errors_total",
                    {{"target", "bad"}, {"reason", "auth"}}),
            1);
  EXPECT_EQ(ValueOf(samples, "datastore_exporter_collections_total",
                    {{"target", "good"}}),
            1);
  EXPECT_TRUE(Select(samples, "datastore_exporter_collection_errors_total",
                     {{"target", "good"}})
                  .empty());
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("target=bad"));
  EXPECT_THAT(logs, HasSubstr("WRONGPASS"));
  EXPECT_EQ(WhereSecretsShow(**exporter, raw, {password, "Wrong-9d2e-unique"}),
            "");
}

TEST(RedisSidecarTest, TargetFlagNeedsNoConfigFile) {
  TempDir dir;
  auto server = RedisServer::Start(dir);
  ASSERT_TRUE(server.ok()) << server.status();
  auto exporter = ExporterProcess::Start(
      dir, "",
      {"--target=redis://" + (*server)->address(), "--cluster-id=sidecar"});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(
      ValueOf(samples, "datastore_up", {{"target", (*server)->address()}}), 1);
  EXPECT_EQ(RoleOf(samples, (*server)->address()), "primary");
  EXPECT_EQ(
      Select(samples, "datastore_info", {{"cluster_id", "sidecar"}}).size(),
      1u);
}

struct BadStart {
  std::vector<std::string> flags;
  std::string config;  // Written to a file and passed with --config.file.
  std::string message;
};

TEST(ExporterCommandLineTest, BadConfigAndFlagsExitTwoBeforeListening) {
  TempDir dir;
  std::vector<BadStart> table = {
      {{},
       "targets:\n  - {name: a, kind: redis, address: h:1}\n",
       "exporter.yml:2:5: target \"a\": \"cluster_id\" is required"},
      {{},
       "targets:\n  - {name: a, kind: redis, address: h:1, cluster_id: c, "
       "colour: red}\n",
       "exporter.yml:2:57: target \"a\": unknown key \"colour\""},
      {{"--no-such-flag"}, "", "--no-such-flag"},
      {{"--log.level=loud"},
       "",
       "--log.level: expected debug, info, warn or error"},
      {{"--log.format=xml"}, "", "--log.format: expected logfmt or json"},
      {{}, "", "no targets: give --config.file"},
      {{"--config.file=/nonexistent.yml"},
       "",
       "/nonexistent.yml: cannot read configuration"},
      {{"--target=redis://127.0.0.1:6379"}, "", "--cluster-id is required"},
      {{"--target=redis://u:secret@127.0.0.1:6379", "--cluster-id=c"},
       "",
       "a password in the URL is not accepted"},
      {{"--web.telemetry-path=metrics", "--target=redis://h:1",
        "--cluster-id=c"},
       "",
       "--web.telemetry-path"},
      {{"--web.max-connections=0", "--target=redis://h:1", "--cluster-id=c"},
       "",
       "--web.max-connections"},
  };
  for (const BadStart& bad : table) {
    int port = FreePort();
    std::vector<std::string> argv = {
        ExporterBinary(),
        "--web.listen-address=127.0.0.1:" + std::to_string(port)};
    if (!bad.config.empty()) {
      WriteFile(dir.path() + "/exporter.yml", bad.config);
      argv.push_back("--config.file=" + dir.path() + "/exporter.yml");
    }
    argv.insert(argv.end(), bad.flags.begin(), bad.flags.end());
    CommandResult result = RunCommand(argv, absl::Seconds(10));
    EXPECT_EQ(result.exit_code, 2) << absl::StrJoin(argv, " ") << "\n"
                                   << result.output;
    EXPECT_THAT(result.output, HasSubstr(bad.message))
        << absl::StrJoin(argv, " ");
    EXPECT_THAT(result.output, Not(HasSubstr("secret")));
    EXPECT_THAT(result.output, Not(HasSubstr("listening")));
  }
  // --config.check validates and exits 0 on a good file.
  WriteFile(
      dir.path() + "/good.yml",
      "targets:\n  - {name: a, kind: redis, address: h:1, cluster_id: c}\n");
  CommandResult check =
      RunCommand({ExporterBinary(), "--config.file=" + dir.path() + "/good.yml",
                  "--config.check"});
  EXPECT_EQ(check.exit_code, 0) << check.output;
  CommandResult version = RunCommand({ExporterBinary(), "--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.output, HasSubstr("datastore_exporter"));
}

// Client libraries are opened when a configuration needs them
// (exporter/model/shared_library.h). A broken one stops the start with an error
// naming the target, the library and its package. The broken copies shadow
// the real ones through LD_LIBRARY_PATH.
TEST(ExporterCommandLineTest, UnloadableClientLibraryIsNamedBeforeListening) {
  TempDir dir;
  struct Case {
    std::string kind, address, soname, package;
  };
  const std::vector<Case> cases = {
      {"postgresql", "127.0.0.1:1", "libpq.so.5", "libpq5"},
      {"mysql", "127.0.0.1:1", "libmariadb.so.3", "libmariadb3"},
      {"etcd", "127.0.0.1:1", "libcurl.so.4", "libcurl4"},
  };
  for (const Case& each : cases) {
    WriteFile(dir.path() + "/" + each.soname, "not a shared library");
  }
  for (const Case& each : cases) {
    WriteFile(
        dir.path() + "/exporter.yml",
        absl::StrCat("targets:\n  - {name: a, kind: ", each.kind,
                     ", address: \"", each.address, "\", cluster_id: c}\n"));
    CommandResult result = RunCommand(
        {"/usr/bin/env", "LD_LIBRARY_PATH=" + dir.path(), ExporterBinary(),
         "--web.listen-address=127.0.0.1:" + std::to_string(FreePort()),
         "--config.file=" + dir.path() + "/exporter.yml"},
        absl::Seconds(10));
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_THAT(result.output,
                HasSubstr(absl::StrCat(
                    "target \"a\" (kind ", each.kind, "): cannot load ",
                    each.soname, " (Debian package ", each.package, ")")));
    EXPECT_THAT(result.output, Not(HasSubstr("listening")));
  }
}

TEST(ExporterCommandLineTest, ListenFailureIsAClearError) {
  TempDir dir;
  auto first = ExporterProcess::Start(
      dir, "", {"--target=redis://127.0.0.1:1", "--cluster-id=c"});
  ASSERT_TRUE(first.ok()) << first.status();
  std::string taken = (*first)->url("").substr(std::string("http://").size());
  CommandResult second =
      RunCommand({ExporterBinary(), "--web.listen-address=" + taken,
                  "--target=redis://127.0.0.1:1", "--cluster-id=c"},
                 absl::Seconds(10));
  EXPECT_EQ(second.exit_code, 1) << second.output;
  EXPECT_THAT(second.output, HasSubstr("cannot listen on \"" + taken));
}

}  // namespace
}  // namespace dse::testing
