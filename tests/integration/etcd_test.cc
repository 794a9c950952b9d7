// End-to-end tests of the exporter binary against real etcd clusters
// (etcd-server) on free loopback ports.
#include <signal.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/datastore_test.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/etcd_fixture.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra = "") {
  return TargetBlock(name, "etcd", address, extra);
}

// A cluster of one member, where no other member matters.
absl::StatusOr<std::unique_ptr<EtcdCluster>> StartSingleMember(
    const TempDir& dir) {
  EtcdCluster::Options options;
  options.members = 1;
  return EtcdCluster::Start(dir, options);
}

// A 3-member cluster; what every kind shows (one primary, offsets after a
// write, hung and stopped members, failover) is in cross_kind_test.cc.
class EtcdClusterTest : public DatastoreTest<EtcdFixture> {
 protected:
  // Targets are named after the members they start as.
  EtcdClusterTest() : DatastoreTest({"member-1", "member-2", "member-3"}) {}

  EtcdCluster& cluster() { return topology_.cluster(); }
};

TEST_F(EtcdClusterTest, DecimalClusterIdMemberNamesAndRaftIndexLag) {
  auto exporter = StartExporter("    timeout: 500ms\n");
  ASSERT_NE(exporter, nullptr);
  std::string raw;
  std::vector<Sample> samples = exporter->Scrape(&raw);

  // Decimal, as the gateway gives it (etcdctl and /metrics show hex).
  const std::string cluster_id = cluster().ClusterId(0);
  ASSERT_THAT(cluster_id, ::testing::MatchesRegex("[0-9]+"));
  for (int i = 0; i < cluster().size(); ++i) {
    const std::string& target = cluster().name(i);
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    EXPECT_EQ(info[0].labels["cluster_id"], cluster_id);
    EXPECT_EQ(info[0].labels["node"], cluster().name(i));
    EXPECT_THAT(info[0].labels["version"],
                ::testing::MatchesRegex("3\\.[0-9]+\\.[0-9]+"));
    EXPECT_GT(ValueOf(samples, "datastore_shard_commit_offset",
                      {{"target", target}, {"unit", "raft_index"}}),
              0)
        << target;
    const double lag = ValueOf(samples, "datastore_shard_replication_lag",
                               {{"target", target}, {"unit", "raft_index"}});
    EXPECT_GE(lag, 0) << target;  // NaN when absent.
  }

  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

// Requests etcd served, from its own /metrics (the gateway calls gRPC).
double GrpcCallsServed(const std::string& address, const std::string& method) {
  HttpResult metrics = HttpFetch("http://" + address + "/metrics");
  return ValueOf(ParseExposition(metrics.body), "grpc_server_handled_total",
                 {{"grpc_method", method}, {"grpc_code", "OK"}});
}

TEST_F(EtcdClusterTest, SteadyStateIsOneRequestPerScrape) {
  const std::string address = cluster().address(0);
  const double status_before = GrpcCallsServed(address, "Status");
  const double list_before = GrpcCallsServed(address, "MemberList");
  ASSERT_FALSE(std::isnan(status_before));
  ASSERT_FALSE(std::isnan(list_before));
  auto exporter = ExporterProcess::Start(
      dir_, "targets:\n" + TargetYaml(cluster().name(0), address));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ValueOf((*exporter)->Scrape(), "datastore_up",
                      {{"target", cluster().name(0)}}),
              1);
  }
  // The member name is asked for once and cached while the connection lasts.
  EXPECT_EQ(GrpcCallsServed(address, "Status") - status_before, 10);
  EXPECT_EQ(GrpcCallsServed(address, "MemberList") - list_before, 1);
}

TEST_F(EtcdClusterTest, RestartUnderAnotherNameIsSeenAtTheNextScrape) {
  auto exporter = StartExporter("    timeout: 500ms\n");
  ASSERT_NE(exporter, nullptr);
  const int leader = cluster().Leader();
  ASSERT_GE(leader, 0);
  const int restarted = (leader + 1) % cluster().size();
  const std::string target = cluster().name(restarted);
  auto info =
      Select(exporter->Scrape(), "datastore_info", {{"target", target}});
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].labels["node"], target);

  // The exporter caches the name; a new connection makes it ask again.
  cluster().process(restarted).Signal(SIGKILL);
  ASSERT_NE(cluster().process(restarted).Wait(absl::Seconds(10)), -1);
  ASSERT_TRUE(cluster().Restart(restarted, "renamed").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto again =
            Select(exporter->Scrape(), "datastore_info", {{"target", target}});
        return again.size() == 1 && again[0].labels["node"] == "renamed";
      },
      absl::Seconds(10)));
}

TEST(EtcdTlsTest, ClientCertificatesArePassedThrough) {
  TempDir dir;
  auto certs = MakeTestCertificates(dir);
  ASSERT_TRUE(certs.ok()) << certs.status();
  EtcdCluster::Options options;
  options.members = 1;
  options.tls = *certs;
  auto cluster = EtcdCluster::Start(dir, options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string address = (*cluster)->address(0);
  const std::string ca = "      ca_file: " + certs->ca_file + "\n";
  const std::string client =
      absl::StrCat("      cert_file: ", certs->client_cert_file,
                   "\n      key_file: ", certs->client_key_file, "\n");
  std::string config = absl::StrCat(
      "targets:\n",
      TargetYaml("with-cert", address, "    options:\n" + ca + client),
      TargetYaml("insecure", address,
                 "    options:\n      insecure_skip_verify: true\n" + client),
      TargetYaml("no-cert", address, "    options:\n" + ca),
      TargetYaml("plain-http", address));
  auto exporter = ExporterProcess::Start(dir, config);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "with-cert"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "insecure"}}), 1);
  EXPECT_EQ(RoleOf(samples, "with-cert"), "primary");
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "no-cert"}}), 0);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "plain-http"}}), 0);
  // A bad option value is refused when the configuration is loaded.
  std::string bad = dir.path() + "/bad-option.yml";
  WriteFile(bad, absl::StrCat("targets:\n",
                              TargetYaml("bad-option", address,
                                         "    options:\n      tls: yes\n")));
  CommandResult check =
      RunCommand({ExporterBinary(), "--config.file=" + bad, "--config.check"});
  EXPECT_EQ(check.exit_code, 2) << check.output;
  EXPECT_THAT(
      check.output,
      HasSubstr(
          "target \"bad-option\": option \"tls\": expected true or false"));
}

TEST(EtcdAuthTest, PasswordFromFileAndWrongPasswordNeverShown) {
  TempDir dir;
  auto cluster = StartSingleMember(dir);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string password = "Pw-4c1e8b-unique";
  const std::string wrong = "Wrong-77a0d2-unique";
  ASSERT_TRUE((*cluster)->EnableAuth("monitor", password).ok());

  std::string good = dir.path() + "/good", bad = dir.path() + "/bad";
  WriteFile(good, password + "\n");
  WriteFile(bad, wrong + "\n");
  const std::string address = (*cluster)->address(0);
  std::string config = absl::StrCat(
      "targets:\n",
      TargetYaml("good", address,
                 "    username: monitor\n    password_file: " + good + "\n"),
      TargetYaml("bad", address,
                 "    username: monitor\n    password_file: " + bad + "\n"),
      TargetYaml("env", address,
                 "    username: monitor\n"
                 "    password_env: DSE_TEST_ETCD_PASSWORD\n"));
  auto exporter =
      ExporterProcess::Start(dir, config, {"--log.level=debug"},
                             {"DSE_TEST_ETCD_PASSWORD=" + password});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::string raw;
  std::vector<Sample> samples = (*exporter)->Scrape(&raw);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "good"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "env"}}), 1);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "bad"}}), 0);
  std::string logs = (*exporter)->Logs();
  EXPECT_THAT(logs, HasSubstr("target=bad"));
  EXPECT_THAT(logs, HasSubstr("authentication failed"));
  EXPECT_EQ(WhereSecretsShow(**exporter, raw, {password, wrong}), "");
}

TEST(EtcdSidecarTest, TargetFlagNeedsNoClusterId) {
  TempDir dir;
  auto cluster = StartSingleMember(dir);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string address = (*cluster)->address(0);
  auto exporter =
      ExporterProcess::Start(dir, "", {"--target=etcd://" + address});
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", address}}), 1);
  EXPECT_EQ(RoleOf(samples, address), "primary");
  EXPECT_EQ(
      Select(samples, "datastore_info",
             {{"cluster_id", (*cluster)->ClusterId(0)}, {"node", "member-1"}})
          .size(),
      1u);
}

}  // namespace
}  // namespace dse::testing
