// Every target kind at once, each with a distinctive password (right and
// wrong ones): no secret may appear in metrics, logs, error messages, the
// landing page, /probe answers or reload errors.
#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/etcd_cluster.h"
#include "tests/support/exporter_process.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/postgres_server.h"
#include "tests/support/redis_server.h"
#include "tests/support/zookeeper_ensemble.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kGood[] = "Good-Secret-91c4e7";
constexpr char kWrong[] = "Wrong-Secret-5b2d08";

TEST(SecretsTest, NoKindLeaksAPassword) {
  TempDir dir;
  auto redis = RedisServer::Start(dir, {"--requirepass", kGood});
  ASSERT_TRUE(redis.ok()) << redis.status();
  auto mariadb = MariaDbServer::Start(dir, 1);
  ASSERT_TRUE(mariadb.ok()) << mariadb.status();
  ASSERT_TRUE((*mariadb)
                  ->Query(absl::StrCat(
                      "CREATE USER exporter@'127.0.0.1' IDENTIFIED BY '", kGood,
                      "'; GRANT SLAVE MONITOR ON *.* TO "
                      "exporter@'127.0.0.1'"))
                  .ok());
  auto postgres = PostgresServer::StartPrimary(dir);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  ASSERT_TRUE((*postgres)
                  ->Query(absl::StrCat("CREATE ROLE monitor LOGIN PASSWORD '",
                                       kGood, "' IN ROLE pg_monitor"))
                  .ok());
  EtcdCluster::Options etcd_options;
  etcd_options.members = 1;
  auto etcd = EtcdCluster::Start(dir, etcd_options);
  ASSERT_TRUE(etcd.ok()) << etcd.status();
  ASSERT_TRUE((*etcd)->EnableAuth("monitor", kGood).ok());
  ZooKeeperOptions zk_options;
  zk_options.servers = 1;
  auto zookeeper = ZooKeeperEnsemble::Start(dir, zk_options);
  ASSERT_TRUE(zookeeper.ok()) << zookeeper.status();

  const std::string good_file = dir.path() + "/good",
                    wrong_file = dir.path() + "/wrong";
  WriteFile(good_file, std::string(kGood) + "\n");
  WriteFile(wrong_file, std::string(kWrong) + "\n");
  struct Kind {
    std::string kind, address, username, extra;
  } kinds[] = {
      {"redis", (*redis)->address(), "", "cluster_id: c"},
      {"mysql", (*mariadb)->address(), "exporter", "cluster_id: c"},
      {"postgresql", (*postgres)->address(), "monitor",
       "options: {dbname: postgres}"},
      {"etcd", (*etcd)->address(0), "monitor", ""},
      {"zookeeper", (*zookeeper)->address(0), "", "cluster_id: c"},
  };
  std::string config = "targets:\n";
  for (const Kind& k : kinds) {
    const std::string user =
        k.username.empty() ? "" : ", username: " + k.username;
    const std::string extra = k.extra.empty() ? "" : ", " + k.extra;
    absl::StrAppend(&config, "  - {name: ", k.kind, "-good, kind: ", k.kind,
                    ", address: \"", k.address, "\"", user,
                    ", password_file: ", good_file, extra, "}\n");
    absl::StrAppend(&config, "  - {name: ", k.kind, "-wrong, kind: ", k.kind,
                    ", address: \"", k.address, "\"", user,
                    ", password_file: ", wrong_file, extra, "}\n");
    absl::StrAppend(&config, "  - {name: ", k.kind, "-env, kind: ", k.kind,
                    ", address: \"", k.address, "\"", user,
                    ", password_env: DSE_SECRET", extra, "}\n");
    // The same servers check that every kind's client enforces
    // max_reply_bytes: each reply here is larger than 64 bytes.
    absl::StrAppend(&config, "  - {name: ", k.kind, "-limited, kind: ", k.kind,
                    ", address: \"", k.address, "\"", user,
                    ", password_file: ", good_file, ", max_reply_bytes: 64",
                    extra, "}\n");
  }
  absl::StrAppend(
      &config, "modules:\n  pg:\n    kind: postgresql\n    username: monitor\n",
      "    password_file: ", wrong_file,
      "\n    allowed_targets: [\"127.0.0.1:*\"]\n");
  auto exporter = ExporterProcess::Start(dir, config, {"--log.level=debug"},
                                         {std::string("DSE_SECRET=") + kGood});
  ASSERT_TRUE(exporter.ok()) << exporter.status();

  std::string everything;
  for (int round = 0; round < 2; ++round) {
    std::string raw;
    std::vector<Sample> samples = (*exporter)->Scrape(&raw);
    everything += raw;
    for (const Kind& k : kinds) {
      EXPECT_EQ(
          ValueOf(samples, "datastore_up", {{"target", k.kind + "-good"}}), 1)
          << k.kind;
      EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", k.kind + "-env"}}),
                1)
          << k.kind;
    }
    for (const Kind& k : kinds) {
      EXPECT_EQ(
          ValueOf(samples, "datastore_up", {{"target", k.kind + "-limited"}}),
          0)
          << k.kind;
    }
    // Kinds that check passwords refuse the wrong one (etcd 3.4 answers
    // status without a login, ZooKeeper has no authentication).
    for (const char* kind : {"redis", "mysql", "postgresql"}) {
      EXPECT_EQ(ValueOf(samples, "datastore_up",
                        {{"target", std::string(kind) + "-wrong"}}),
                0)
          << kind;
    }
  }
  everything += HttpFetch((*exporter)->url("/")).body;
  const std::string status = HttpFetch((*exporter)->url("/api/status")).body;
  // /api/status lists each target with its last error.
  std::map<std::string, std::string> errors;
  const nlohmann::json status_json = nlohmann::json::parse(status);
  for (const auto& target : status_json.at("targets")) {
    errors[target.at("name").get<std::string>()] =
        target.at("error").get<std::string>();
  }
  for (const Kind& k : kinds) {
    EXPECT_THAT(errors[k.kind + "-limited"],
                HasSubstr("reply larger than 64 bytes"))
        << k.kind;
  }
  everything += status;
  for (const char* target : {"redis-wrong", "postgresql-wrong", "mysql-good"}) {
    for (const char* path : {"/api/unstable/info/datastore?target=",
                             "/api/unstable/shards?target="}) {
      everything +=
          HttpFetch((*exporter)->url(absl::StrCat(path, target))).body;
    }
  }
  everything += HttpFetch((*exporter)->url("/probe?module=pg&target=" +
                                           (*postgres)->address()))
                    .body;
  everything += HttpFetch((*exporter)->url("/-/reload"), "POST").body;
  everything += HttpFetch((*exporter)->url("/-/ready")).body;
  everything += (*exporter)->Logs();
  EXPECT_THAT(everything, HasSubstr("target=redis-wrong"));
  EXPECT_THAT(everything, HasSubstr("target=postgresql-wrong"));
  EXPECT_THAT(everything, Not(HasSubstr(kGood)));
  EXPECT_THAT(everything, Not(HasSubstr(kWrong)));
}

}  // namespace
}  // namespace dse::testing
