// End-to-end tests of the exporter binary against real etcd clusters
// (etcd-server) on free loopback ports.
#include <signal.h>

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/etcd_cluster.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra = "") {
  return TargetBlock(name, "etcd", address, extra);
}

// The targets whose role is primary.
std::set<std::string> Primaries(const std::vector<Sample>& samples) {
  std::set<std::string> primaries;
  for (const Sample& sample :
       Select(samples, "datastore_shard_role", {{"role", "primary"}})) {
    if (sample.value == 1) primaries.insert(sample.labels.at("target"));
  }
  return primaries;
}

// Scrapes until the exporter's one primary is the member that etcd calls its
// leader before and after the scrape (an election in between, possible on a
// loaded machine, only delays this), and returns that member's index.
int AgreedLeader(const EtcdCluster& cluster, const ExporterProcess& exporter,
                 std::vector<Sample>* samples, std::string* raw = nullptr) {
  int leader = -1;
  bool agreed = WaitFor(
      [&] {
        leader = cluster.Leader();
        *samples = exporter.Scrape(raw);
        return leader >= 0 && cluster.Leader() == leader &&
               Primaries(*samples) ==
                   std::set<std::string>({cluster.name(leader)});
      },
      absl::Seconds(15));
  return agreed ? leader : -1;
}

class EtcdClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = EtcdCluster::Start(dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    // Targets are named after the members they start as.
    config_ = "targets:\n";
    for (int i = 0; i < cluster_->size(); ++i) {
      absl::StrAppend(&config_,
                      TargetYaml(cluster_->name(i), cluster_->address(i),
                                 "    timeout: 500ms\n"));
    }
  }

  TempDir dir_;
  std::unique_ptr<EtcdCluster> cluster_;
  std::string config_;
};

TEST_F(EtcdClusterTest, MembersShareTheClusterIdAndExactlyOneIsPrimary) {
  auto exporter = ExporterProcess::Start(dir_, config_);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::string raw;
  std::vector<Sample> samples;
  const int leader = AgreedLeader(*cluster_, **exporter, &samples, &raw);
  ASSERT_GE(leader, 0) << "exactly one primary, the leader, was never seen";

  // Decimal, as the gateway gives it (etcdctl and /metrics show hex).
  const std::string cluster_id = cluster_->ClusterId(0);
  ASSERT_THAT(cluster_id, ::testing::MatchesRegex("[0-9]+"));
  for (int i = 0; i < cluster_->size(); ++i) {
    const std::string& target = cluster_->name(i);
    EXPECT_EQ(ValueOf(samples, "datastore_up",
                      {{"target", target}, {"kind", "etcd"}}),
              1)
        << target;
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    EXPECT_EQ(info[0].labels["cluster_id"], cluster_id);
    EXPECT_EQ(info[0].labels["node"], cluster_->name(i));
    EXPECT_THAT(info[0].labels["version"],
                ::testing::MatchesRegex("3\\.[0-9]+\\.[0-9]+"));
    // One shard named after the cluster; four role series (a state set).
    EXPECT_EQ(Select(samples, "datastore_shard_role",
                     {{"target", target}, {"shard", cluster_id}})
                  .size(),
              4u);
    EXPECT_EQ(RoleOf(samples, target), i == leader ? "primary" : "secondary");
    EXPECT_GT(ValueOf(samples, "datastore_shard_commit_offset",
                      {{"target", target}, {"unit", "raft_index"}}),
              0)
        << target;
    const double lag = ValueOf(samples, "datastore_shard_replication_lag",
                               {{"target", target}, {"unit", "raft_index"}});
    EXPECT_GE(lag, 0) << target;  // NaN when absent.
  }

  // Writes move every member's commit offset forward.
  const double before =
      ValueOf(samples, "datastore_shard_commit_offset",
              {{"target", cluster_->name(0)}, {"unit", "raft_index"}});
  for (int i = 0; i < 5; ++i) {
    // Key "a2V5" and value "dmFsdWU=" are "key" and "value" in base64.
    ASSERT_TRUE(
        cluster_->Post(0, "/v3/kv/put", R"({"key":"a2V5","value":"dmFsdWU="})")
            .ok());
  }
  ASSERT_TRUE(WaitFor(
      [&] {
        std::vector<Sample> again = (*exporter)->Scrape();
        for (int i = 0; i < cluster_->size(); ++i) {
          if (!(ValueOf(again, "datastore_shard_commit_offset",
                        {{"target", cluster_->name(i)}}) >= before + 5)) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(10)));

  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

// Requests etcd served, from its own /metrics (the gateway calls gRPC).
double GrpcCallsServed(const std::string& address, const std::string& method) {
  HttpResult metrics = HttpFetch("http://" + address + "/metrics");
  return ValueOf(ParseExposition(metrics.body), "grpc_server_handled_total",
                 {{"grpc_method", method}, {"grpc_code", "OK"}});
}

TEST_F(EtcdClusterTest, SteadyStateIsOneRequestPerScrape) {
  const std::string address = cluster_->address(0);
  const double status_before = GrpcCallsServed(address, "Status");
  const double list_before = GrpcCallsServed(address, "MemberList");
  ASSERT_FALSE(std::isnan(status_before));
  ASSERT_FALSE(std::isnan(list_before));
  auto exporter = ExporterProcess::Start(
      dir_, "targets:\n" + TargetYaml(cluster_->name(0), address));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(ValueOf((*exporter)->Scrape(), "datastore_up",
                      {{"target", cluster_->name(0)}}),
              1);
  }
  // The member name is asked for once and cached while the connection lasts.
  EXPECT_EQ(GrpcCallsServed(address, "Status") - status_before, 10);
  EXPECT_EQ(GrpcCallsServed(address, "MemberList") - list_before, 1);
}

TEST_F(EtcdClusterTest, KillingTheLeaderGivesANewOneAtALaterScrape) {
  auto exporter = ExporterProcess::Start(dir_, config_);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples;
  const int leader = AgreedLeader(*cluster_, **exporter, &samples);
  ASSERT_GE(leader, 0);
  const std::string old_leader = cluster_->name(leader);

  cluster_->process(leader).Signal(SIGKILL);
  ASSERT_NE(cluster_->process(leader).Wait(absl::Seconds(10)), -1);
  ASSERT_TRUE(WaitFor(
      [&] {
        samples = (*exporter)->Scrape();
        std::set<std::string> primaries = Primaries(samples);
        return primaries.size() == 1 && *primaries.begin() != old_leader;
      },
      absl::Seconds(20)))
      << "no new leader; last primaries: " << Primaries(samples).size();
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", old_leader}}), 0);
  // A failed target exports nothing stale.
  EXPECT_TRUE(Select(samples, "datastore_shard_role", {{"target", old_leader}})
                  .empty());
  EXPECT_TRUE(
      Select(samples, "datastore_info", {{"target", old_leader}}).empty());
  for (int i = 0; i < cluster_->size(); ++i) {
    if (i == leader) continue;
    const std::string& target = cluster_->name(i);
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", target}}), 1);
    EXPECT_THAT(RoleOf(samples, target),
                ::testing::AnyOf("primary", "secondary"));
  }
  EXPECT_THAT((*exporter)->Logs(), HasSubstr("target=" + old_leader));
}

TEST_F(EtcdClusterTest, StoppedMemberTimesOutWithoutDelayingTheOthers) {
  auto exporter = ExporterProcess::Start(dir_, config_);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  const int leader = cluster_->Leader();
  ASSERT_GE(leader, 0);
  const int stopped = (leader + 1) % cluster_->size();
  const std::string target = cluster_->name(stopped);
  ASSERT_EQ(
      ValueOf((*exporter)->Scrape(), "datastore_up", {{"target", target}}), 1);

  cluster_->process(stopped).Signal(SIGSTOP);
  absl::Time start = absl::Now();
  std::vector<Sample> samples = (*exporter)->Scrape();
  absl::Duration took = absl::Now() - start;
  cluster_->process(stopped).Signal(SIGCONT);

  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", target}}), 0);
  for (int i = 0; i < cluster_->size(); ++i) {
    if (i == stopped) continue;
    const std::string& other = cluster_->name(i);
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", other}}), 1);
    EXPECT_THAT(RoleOf(samples, other),
                ::testing::AnyOf("primary", "secondary"));
  }
  // Bounded by the 500 ms timeout, not by the hung member (generous margin
  // for a loaded machine: this checks the deadline exists, not speed).
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_LT(ValueOf(samples, "datastore_collect_duration_seconds",
                    {{"target", target}}),
            1.5);
  EXPECT_THAT((*exporter)->Logs(), HasSubstr("timed out"));
  // After SIGCONT a new connection is made.
  EXPECT_TRUE(WaitFor(
      [&] {
        return ValueOf((*exporter)->Scrape(), "datastore_up",
                       {{"target", target}}) == 1;
      },
      absl::Seconds(10)));
}

TEST_F(EtcdClusterTest, RestartUnderAnotherNameIsSeenAtTheNextScrape) {
  auto exporter = ExporterProcess::Start(dir_, config_);
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  const int leader = cluster_->Leader();
  ASSERT_GE(leader, 0);
  const int restarted = (leader + 1) % cluster_->size();
  const std::string target = cluster_->name(restarted);
  auto info =
      Select((*exporter)->Scrape(), "datastore_info", {{"target", target}});
  ASSERT_EQ(info.size(), 1u);
  EXPECT_EQ(info[0].labels["node"], target);

  // The exporter caches the name; a new connection makes it ask again.
  cluster_->process(restarted).Signal(SIGKILL);
  ASSERT_NE(cluster_->process(restarted).Wait(absl::Seconds(10)), -1);
  ASSERT_TRUE(cluster_->Restart(restarted, "renamed").ok());
  ASSERT_TRUE(WaitFor(
      [&] {
        auto again = Select((*exporter)->Scrape(), "datastore_info",
                            {{"target", target}});
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
  EtcdCluster::Options options;
  options.members = 1;
  auto cluster = EtcdCluster::Start(dir, options);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  const std::string password = "Pw-4c1e8b-unique";
  const std::string wrong = "Wrong-77a0d2-unique";
  for (const std::string& request : {
           std::string(R"({"name":"root","password":"root-Pw-unique"})"),
           absl::StrCat(R"({"name":"monitor","password":")", password, R"("})"),
       }) {
    ASSERT_TRUE((*cluster)->Post(0, "/v3/auth/user/add", request).ok());
  }
  ASSERT_TRUE(
      (*cluster)
          ->Post(0, "/v3/auth/user/grant", R"({"user":"root","role":"root"})")
          .ok());
  ASSERT_TRUE((*cluster)->Post(0, "/v3/auth/enable").ok());

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
  HttpResult page = HttpFetch((*exporter)->url("/"));
  for (const std::string& secret : {password, wrong}) {
    EXPECT_THAT(raw, Not(HasSubstr(secret)));
    EXPECT_THAT(logs, Not(HasSubstr(secret)));
    EXPECT_THAT(page.body, Not(HasSubstr(secret)));
  }
}

TEST(EtcdSidecarTest, TargetFlagNeedsNoClusterId) {
  TempDir dir;
  EtcdCluster::Options options;
  options.members = 1;
  auto cluster = EtcdCluster::Start(dir, options);
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
