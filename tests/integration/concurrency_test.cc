// Concurrent scrapes of the same targets while one of them restarts: every
// answer is a complete, well-formed exposition and nothing crashes. Also run
// under ThreadSanitizer in CI (tests/scripts/sanitizers.sh).
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/redis_server.h"

namespace dse::testing {
namespace {

TEST(ConcurrentScrapesTest, EightScrapersWhileATargetRestarts) {
  TempDir dir;
  auto primary = RedisServer::Start(dir);
  ASSERT_TRUE(primary.ok()) << primary.status();
  auto replica = RedisServer::Start(
      dir, {"--replicaof", "127.0.0.1", std::to_string((*primary)->port())});
  ASSERT_TRUE(replica.ok()) << replica.status();
  std::string config =
      absl::StrCat("targets:\n  - {name: primary, kind: redis, address: \"",
                   (*primary)->address(),
                   "\", cluster_id: c, timeout: 1s}\n  - {name: replica, kind: "
                   "redis, address: \"",
                   (*replica)->address(), "\", cluster_id: c, timeout: 1s}\n");
  auto exporter = ExporterProcess::Start(dir, config);
  ASSERT_TRUE(exporter.ok()) << exporter.status();

  std::atomic<int> ok{0}, bad{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> scrapers;
  for (int i = 0; i < 8; ++i) {
    scrapers.emplace_back([&] {
      for (int n = 0; n < 60 && !stop; ++n) {
        HttpResult result =
            HttpFetch((*exporter)->url("/metrics"), "GET", {}, 10000);
        std::vector<Sample> samples = ParseExposition(result.body);
        bool complete =
            result.status == 200 &&
            Select(samples, "datastore_up").size() == 2 &&
            ValueOf(samples, "datastore_up", {{"target", "primary"}}) == 1;
        (complete ? ok : bad)++;
      }
    });
  }
  // Restart the replica twice while the scrapers run.
  for (int round = 0; round < 2; ++round) {
    (*replica)->process().Stop();
    absl::SleepFor(absl::Milliseconds(300));
    absl::Status restarted = (*replica)->Restart();
    ASSERT_TRUE(restarted.ok()) << restarted;
    absl::SleepFor(absl::Milliseconds(300));
  }
  for (auto& scraper : scrapers) scraper.join();
  stop = true;
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load(), 8 * 60);
  EXPECT_FALSE((*exporter)->process().Exited()) << (*exporter)->Logs();
}

}  // namespace
}  // namespace dse::testing
