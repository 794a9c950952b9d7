// End-to-end tests of the exporter binary against real ZooKeeper servers
// (Debian's zookeeper package) on free loopback ports: a 3-server ensemble,
// started once for the suite, and a standalone server.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/zookeeper_ensemble.h"
#include "tests/support/zookeeper_fixture.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;

constexpr const char* kClusterId = ZooKeeperFixture::kClusterId;

std::string TargetName(int index) { return absl::StrCat("zk", index + 1); }

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra = "") {
  return TargetBlock(
      name, "zookeeper", address,
      absl::StrCat("    cluster_id: ", kClusterId, "\n") + extra);
}

double OffsetOf(const std::vector<Sample>& samples, const std::string& target) {
  return ValueOf(samples, "datastore_shard_commit_offset",
                 {{"target", target}, {"unit", "zxid"}, {"shard", kClusterId}});
}

class ZooKeeperEnsembleTest : public ::testing::Test {
 protected:
  // ZooKeeper start-up (JVM and leader election) takes seconds: one ensemble
  // serves every test of the suite, and each test leaves it whole. What
  // every kind shows (one primary, offsets after a write, hung and stopped
  // servers, failover) is in cross_kind_test.cc.
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    zookeeper_ = new ZooKeeperFixture;
    absl::Status started = zookeeper_->Start(*dir_);
    if (!started.ok()) start_error_ = new std::string(started.ToString());
  }
  static void TearDownTestSuite() {
    delete zookeeper_;
    zookeeper_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_EQ(start_error_, nullptr)
        << "cannot start the ZooKeeper ensemble: " << *start_error_;
  }

  ZooKeeperEnsemble& ensemble() { return zookeeper_->ensemble(); }

  std::unique_ptr<ExporterProcess> StartExporter(
      const std::string& extra = "") {
    std::vector<std::string> names;
    for (int i = 0; i < zookeeper_->size(); ++i) names.push_back(TargetName(i));
    return ExporterProcess::StartOrFail(*dir_,
                                        zookeeper_->TargetsYaml(names, extra));
  }

  static TempDir* dir_;
  static ZooKeeperFixture* zookeeper_;
  static std::string* start_error_;
};

TempDir* ZooKeeperEnsembleTest::dir_ = nullptr;
ZooKeeperFixture* ZooKeeperEnsembleTest::zookeeper_ = nullptr;
std::string* ZooKeeperEnsembleTest::start_error_ = nullptr;

TEST_F(ZooKeeperEnsembleTest, ServerIdsVersionAndTheLeadersZxid) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int leader = ensemble().Leader();
  ASSERT_GE(leader, 0) << "the ensemble has no single leader";
  const std::optional<uint64_t> zxid_before = ensemble().Zxid(leader);
  std::string raw;
  std::vector<Sample> samples = exporter->Scrape(&raw);
  const std::optional<uint64_t> zxid_after = ensemble().Zxid(leader);

  for (int i = 0; i < ensemble().size(); ++i) {
    const std::string target = TargetName(i);
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    // The node is the server id (from conf, which the ensemble allows).
    EXPECT_EQ(info[0].labels["node"], std::to_string(ensemble().server_id(i)));
    EXPECT_EQ(info[0].labels["version"], "3.8.0");
    // One shard, named after the cluster.
    EXPECT_FALSE(std::isnan(OffsetOf(samples, target))) << target;
  }
  // The leader's commit offset is its zxid at the time of the scrape.
  ASSERT_TRUE(zxid_before.has_value() && zxid_after.has_value());
  EXPECT_GE(OffsetOf(samples, TargetName(leader)),
            static_cast<double>(*zxid_before));
  EXPECT_LE(OffsetOf(samples, TargetName(leader)),
            static_cast<double>(*zxid_after));
  // ZooKeeper gives no local lag: the series is absent, not zero.
  EXPECT_TRUE(Select(samples, "datastore_shard_replication_lag").empty());

  // promtool accepts the output.
  EXPECT_EQ(PromtoolComplaints(*dir_, raw), "");
}

TEST_F(ZooKeeperEnsembleTest, KilledLeaderComesBackAsAFollowerOfTheNewOne) {
  auto exporter = StartExporter("    timeout: 2s\n");
  ASSERT_NE(exporter, nullptr);
  const int leader = ensemble().Leader();
  ASSERT_GE(leader, 0);
  const std::string old_leader = TargetName(leader);
  std::vector<Sample> samples = exporter->Scrape();
  ASSERT_THAT(PrimariesOf(samples), ::testing::ElementsAre(old_leader));
  const double old_offset = OffsetOf(samples, old_leader);

  absl::StatusOr<int> elected = zookeeper_->FailOver();
  ASSERT_TRUE(elected.ok()) << elected.status();
  const std::string new_leader = TargetName(*elected);
  ASSERT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        return PrimariesOf(samples) == std::vector<std::string>{new_leader};
      },
      absl::Seconds(30)));
  // A new leader starts a new epoch: its zxid is above everything before.
  EXPECT_GT(OffsetOf(samples, new_leader), old_offset);
  EXPECT_THAT(exporter->Logs(), HasSubstr("Connection refused"));

  // The old leader comes back as a follower of the new one (and the
  // ensemble is whole for the next test).
  absl::Status restarted = ensemble().Restart(leader);
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        return RoleOf(samples, old_leader) == "secondary" &&
               PrimariesOf(samples).size() == 1;
      },
      absl::Seconds(30)));
  EXPECT_THAT(PrimariesOf(samples), ::testing::ElementsAre(new_leader));
}

TEST(ZooKeeperStandaloneTest, DefaultWhitelistAndConfiguredNode) {
  TempDir dir;
  // ZooKeeper's default whitelist: srvr only, so no server id from conf.
  auto server = ZooKeeperEnsemble::Start(dir, {1, "srvr"});
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string address = (*server)->address(0);
  ASSERT_TRUE((*server)->Create(0, "/dse-standalone").ok());
  // "localhost" takes the name lookup path and may resolve to ::1 first,
  // where the server (bound to 127.0.0.1) refuses.
  const std::string by_name =
      "localhost:" + address.substr(address.rfind(':') + 1);
  auto exporter = ExporterProcess::Start(
      dir, absl::StrCat("targets:\n", TargetYaml("solo", address),
                        TargetYaml("named", by_name, "    node: zk-a\n")));
  ASSERT_TRUE(exporter.ok()) << exporter.status();
  std::vector<Sample> samples = (*exporter)->Scrape();
  for (const char* target : {"solo", "named"}) {
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", target}}), 1)
        << target;
    EXPECT_EQ(RoleOf(samples, target), "primary") << target;
    std::optional<uint64_t> zxid = (*server)->Zxid(0);
    ASSERT_TRUE(zxid.has_value());
    EXPECT_GT(*zxid, 0u);
    EXPECT_EQ(OffsetOf(samples, target), static_cast<double>(*zxid)) << target;
  }
  // Without conf the node name is the target's name; a configured one wins.
  EXPECT_EQ(
      Select(samples, "datastore_info", {{"target", "solo"}, {"node", "solo"}})
          .size(),
      1u);
  EXPECT_EQ(
      Select(samples, "datastore_info", {{"target", "named"}, {"node", "zk-a"}})
          .size(),
      1u);
}

}  // namespace
}  // namespace dse::testing
