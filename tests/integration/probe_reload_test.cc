// /probe (multi-target pattern with an allow-list) and configuration reload,
// end to end against real Redis servers.
#include <signal.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/redis_server.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ProbeTest, AllowedTargetsOnlyAndClearErrors) {
  TempDir dir;
  auto server = RedisServer::Start(dir);
  ASSERT_TRUE(server.ok()) << server.status();
  auto exporter = ExporterProcess::Start(dir, R"(modules:
  cache:
    kind: redis
    cluster_id: probed
    timeout: 1s
    allowed_targets: ["127.0.0.1:*"]
)");
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  const std::string address = (*server)->address();

  HttpResult ok =
      HttpFetch((*exporter)->url("/probe?target=" + address + "&module=cache"));
  EXPECT_EQ(ok.status, 200) << ok.body;
  std::vector<Sample> samples = ParseExposition(ok.body);
  EXPECT_EQ(ValueOf(samples, "datastore_up",
                    {{"target", address}, {"kind", "redis"}}),
            1);
  EXPECT_EQ(ValueOf(samples, "datastore_shard_role",
                    {{"target", address}, {"role", "primary"}}),
            1);
  EXPECT_EQ(
      Select(samples, "datastore_info", {{"cluster_id", "probed"}}).size(), 1u);
  // A probe answers with the probed target's series only: none of the
  // exporter's own telemetry.
  EXPECT_THAT(ok.body, Not(HasSubstr("process_")));
  EXPECT_THAT(ok.body, Not(HasSubstr("datastore_exporter_collections_total")));
  EXPECT_THAT(ok.body, Not(HasSubstr("datastore_exporter_http_")));
  // The exporter's own /metrics does not include probed targets, and counts
  // probes by module (probed addresses would make labels unbounded).
  std::vector<Sample> own = (*exporter)->Scrape();
  EXPECT_TRUE(Select(own, "datastore_up").empty());
  EXPECT_EQ(ValueOf(own, "datastore_exporter_collections_total",
                    {{"target", "probe:cache"}, {"kind", "redis"}}),
            1);
  EXPECT_TRUE(
      Select(own, "datastore_exporter_collections_total", {{"target", address}})
          .empty());

  // Not on the allow-list: refused before any connection is made.
  HttpResult denied =
      HttpFetch((*exporter)->url("/probe?target=10.1.2.3:6379&module=cache"));
  EXPECT_EQ(denied.status, 403);
  EXPECT_THAT(denied.body, HasSubstr("not allowed by module \"cache\""));

  HttpResult missing = HttpFetch((*exporter)->url("/probe"));
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.body, HasSubstr("missing parameter(s): target, module"));
  HttpResult no_module =
      HttpFetch((*exporter)->url("/probe?target=" + address));
  EXPECT_EQ(no_module.status, 400);
  EXPECT_THAT(no_module.body, HasSubstr("missing parameter(s): module"));
  HttpResult unknown =
      HttpFetch((*exporter)->url("/probe?target=" + address + "&module=x"));
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.body,
              HasSubstr("unknown module \"x\" (configured: cache)"));
  HttpResult bad_address =
      HttpFetch((*exporter)->url("/probe?target=127.0.0.1:99999&module=cache"));
  EXPECT_EQ(bad_address.status, 400);

  // A stopped probed server is down, with the probe still answering 200.
  (*server)->process().Stop();
  HttpResult down =
      HttpFetch((*exporter)->url("/probe?target=" + address + "&module=cache"));
  EXPECT_EQ(down.status, 200);
  EXPECT_EQ(ValueOf(ParseExposition(down.body), "datastore_up",
                    {{"target", address}}),
            0);
  EXPECT_EQ(ValueOf((*exporter)->Scrape(),
                    "datastore_exporter_collection_errors_total",
                    {{"target", "probe:cache"}, {"reason", "connect"}}),
            1);
}

std::string OneTarget(const std::string& name, const std::string& address) {
  return absl::StrCat("targets:\n  - {name: ", name,
                      ", kind: redis, address: \"", address,
                      "\", cluster_id: c}\n");
}

TEST(ReloadTest, SighupAndPostReloadSwapTargetsAndBadConfigKeepsTheOld) {
  TempDir dir;
  auto first = RedisServer::Start(dir);
  auto second = RedisServer::Start(dir);
  ASSERT_TRUE(first.ok() && second.ok());
  auto exporter =
      ExporterProcess::Start(dir, OneTarget("first", (*first)->address()));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  EXPECT_EQ(
      ValueOf((*exporter)->Scrape(), "datastore_up", {{"target", "first"}}), 1);
  EXPECT_EQ(HttpFetch((*exporter)->url("/-/ready")).status, 200);
  std::vector<Sample> started = (*exporter)->Scrape();
  EXPECT_EQ(
      ValueOf(started, "datastore_exporter_config_last_reload_successful", {}),
      1);
  const double loaded_at = ValueOf(
      started,
      "datastore_exporter_config_last_reload_success_timestamp_seconds", {});
  EXPECT_GT(loaded_at, absl::ToUnixSeconds(absl::Now()) - 60);

  // The config file is the one ExporterProcess wrote: find it in the log dir.
  std::string config_path;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() == ".yml") config_path = entry.path();
  }
  ASSERT_FALSE(config_path.empty());

  // SIGHUP with a new file: the new target replaces the old.
  ASSERT_TRUE(
      WriteFile(config_path, OneTarget("second", (*second)->address())));
  (*exporter)->process().Signal(SIGHUP);
  ASSERT_TRUE(WaitFor(
      [&] {
        auto samples = (*exporter)->Scrape();
        return ValueOf(samples, "datastore_up", {{"target", "second"}}) == 1 &&
               Select(samples, "datastore_up", {{"target", "first"}}).empty();
      },
      absl::Seconds(10)));

  // The removed target's telemetry went with it.
  std::vector<Sample> swapped = (*exporter)->Scrape();
  EXPECT_TRUE(Select(swapped, "datastore_exporter_collections_total",
                     {{"target", "first"}})
                  .empty());
  const double second_count = ValueOf(
      swapped, "datastore_exporter_collections_total", {{"target", "second"}});
  EXPECT_GE(second_count, 1);

  // A bad file is rejected, logged, and the previous configuration serves on.
  ASSERT_TRUE(
      WriteFile(config_path, "targets:\n  - {name: broken, kind: nope}\n"));
  HttpResult reload = HttpFetch((*exporter)->url("/-/reload"), "POST");
  EXPECT_EQ(reload.status, 500);
  EXPECT_THAT(reload.body, HasSubstr("unknown kind \"nope\""));
  std::vector<Sample> after_failure = (*exporter)->Scrape();
  EXPECT_EQ(ValueOf(after_failure, "datastore_up", {{"target", "second"}}), 1);
  EXPECT_EQ(ValueOf(after_failure,
                    "datastore_exporter_config_last_reload_successful", {}),
            0);
  // Counters survive a reload that keeps their target.
  EXPECT_GT(ValueOf(after_failure, "datastore_exporter_collections_total",
                    {{"target", "second"}}),
            second_count);
  // The time of the last success stays that of the SIGHUP reload.
  EXPECT_GE(ValueOf(after_failure,
                    "datastore_exporter_config_last_reload_success_timestamp_"
                    "seconds",
                    {}),
            loaded_at);
  HttpResult ready = HttpFetch((*exporter)->url("/-/ready"));
  EXPECT_EQ(ready.status, 503);
  EXPECT_THAT(ready.body, HasSubstr("unknown kind"));
  EXPECT_THAT((*exporter)->Logs(), HasSubstr("configuration reload failed"));
  EXPECT_EQ(HttpFetch((*exporter)->url("/-/reload"), "GET").status, 405);

  // Fixing the file makes it ready again.
  ASSERT_TRUE(WriteFile(config_path, OneTarget("first", (*first)->address())));
  EXPECT_EQ(HttpFetch((*exporter)->url("/-/reload"), "POST").status, 200);
  EXPECT_EQ(HttpFetch((*exporter)->url("/-/ready")).status, 200);
  std::vector<Sample> fixed = (*exporter)->Scrape();
  EXPECT_EQ(ValueOf(fixed, "datastore_up", {{"target", "first"}}), 1);
  EXPECT_EQ(
      ValueOf(fixed, "datastore_exporter_config_last_reload_successful", {}),
      1);
  // Reloads are POSTs to /-/reload: counted by handler and code.
  EXPECT_EQ(ValueOf(fixed, "datastore_exporter_http_requests_total",
                    {{"handler", "/-/reload"}, {"code", "500"}}),
            1);
}

}  // namespace
}  // namespace dse::testing
