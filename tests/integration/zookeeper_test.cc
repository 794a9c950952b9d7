// End-to-end tests of the exporter binary against real ZooKeeper servers
// (Debian's zookeeper package) on free loopback ports: a 3-server ensemble,
// started once for the suite, and a standalone server.
#include <signal.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/zookeeper_ensemble.h"

namespace dse::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kClusterId[] = "coordination";

std::string TargetName(int index) { return absl::StrCat("zk", index + 1); }

std::string TargetYaml(const std::string& name, const std::string& address,
                       const std::string& extra = "") {
  return TargetBlock(
      name, "zookeeper", address,
      absl::StrCat("    cluster_id: ", kClusterId, "\n") + extra);
}

// Targets whose role is primary.
std::vector<std::string> Primaries(const std::vector<Sample>& samples) {
  std::vector<std::string> primaries;
  for (const Sample& sample :
       Select(samples, "datastore_shard_role", {{"role", "primary"}})) {
    if (sample.value == 1) primaries.push_back(sample.labels.at("target"));
  }
  return primaries;
}

double OffsetOf(const std::vector<Sample>& samples, const std::string& target) {
  return ValueOf(samples, "datastore_shard_commit_offset",
                 {{"target", target}, {"unit", "zxid"}, {"shard", kClusterId}});
}

class ZooKeeperEnsembleTest : public ::testing::Test {
 protected:
  // ZooKeeper start-up (JVM and leader election) takes seconds: one ensemble
  // serves every test of the suite, and each test leaves it whole.
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    auto ensemble = ZooKeeperEnsemble::Start(*dir_);
    if (ensemble.ok()) {
      ensemble_ = ensemble->release();
    } else {
      start_error_ = new std::string(ensemble.status().ToString());
    }
  }
  static void TearDownTestSuite() {
    delete ensemble_;
    ensemble_ = nullptr;
    delete start_error_;
    start_error_ = nullptr;
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(ensemble_, nullptr)
        << "cannot start the ZooKeeper ensemble: " << *start_error_;
  }

  std::unique_ptr<ExporterProcess> StartExporter(
      const std::string& extra = "") {
    std::string config = "targets:\n";
    for (int i = 0; i < ensemble_->size(); ++i) {
      absl::StrAppend(&config,
                      TargetYaml(TargetName(i), ensemble_->address(i), extra));
    }
    auto exporter = ExporterProcess::Start(*dir_, config);
    EXPECT_TRUE(exporter.ok()) << exporter.status();
    return exporter.ok() ? *std::move(exporter) : nullptr;
  }

  static TempDir* dir_;
  static ZooKeeperEnsemble* ensemble_;
  static std::string* start_error_;
};

TempDir* ZooKeeperEnsembleTest::dir_ = nullptr;
ZooKeeperEnsemble* ZooKeeperEnsembleTest::ensemble_ = nullptr;
std::string* ZooKeeperEnsembleTest::start_error_ = nullptr;

TEST_F(ZooKeeperEnsembleTest, OnePrimaryServerIdsAndZxidOffsets) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int leader = ensemble_->Leader();
  ASSERT_GE(leader, 0) << "the ensemble has no single leader";
  const std::optional<uint64_t> zxid_before = ensemble_->Zxid(leader);
  std::string raw;
  std::vector<Sample> samples = exporter->Scrape(&raw);
  const std::optional<uint64_t> zxid_after = ensemble_->Zxid(leader);

  EXPECT_THAT(Primaries(samples), ::testing::ElementsAre(TargetName(leader)));
  for (int i = 0; i < ensemble_->size(); ++i) {
    const std::string target = TargetName(i);
    EXPECT_EQ(ValueOf(samples, "datastore_up",
                      {{"target", target}, {"kind", "zookeeper"}}),
              1)
        << target;
    EXPECT_EQ(RoleOf(samples, target), i == leader ? "primary" : "secondary")
        << target;
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_EQ(info.size(), 1u) << target;
    EXPECT_EQ(info[0].labels["cluster_id"], kClusterId);
    // The node is the server id (from conf, which the ensemble allows).
    EXPECT_EQ(info[0].labels["node"], std::to_string(ensemble_->server_id(i)));
    EXPECT_EQ(info[0].labels["version"], "3.8.0");
    // One shard named after the cluster, four role series (a state set).
    EXPECT_EQ(Select(samples, "datastore_shard_role",
                     {{"target", target}, {"shard", kClusterId}})
                  .size(),
              4u);
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

  // A write through a follower moves every member's zxid to the same value.
  const double before = OffsetOf(samples, TargetName(leader));
  const int follower = ensemble_->FindMode("follower");
  ASSERT_GE(follower, 0);
  ASSERT_TRUE(ensemble_->Create(follower, "/dse-offsets").ok());
  std::vector<Sample> after;
  EXPECT_TRUE(WaitFor(
      [&] {
        after = exporter->Scrape();
        double offset = OffsetOf(after, TargetName(0));
        return offset > before && OffsetOf(after, TargetName(1)) == offset &&
               OffsetOf(after, TargetName(2)) == offset;
      },
      absl::Seconds(20)))
      << "offsets " << OffsetOf(after, TargetName(0)) << " "
      << OffsetOf(after, TargetName(1)) << " " << OffsetOf(after, TargetName(2))
      << ", before " << before;

  // promtool accepts the output.
  EXPECT_EQ(PromtoolComplaints(*dir_, raw), "");
}

TEST_F(ZooKeeperEnsembleTest, StoppedFollowerTimesOutWithoutDelayingTheOthers) {
  auto exporter = StartExporter("    timeout: 1s\n");
  ASSERT_NE(exporter, nullptr);
  const int follower = ensemble_->FindMode("follower");
  ASSERT_GE(follower, 0);
  const std::string stopped = TargetName(follower);
  ASSERT_EQ(ValueOf(exporter->Scrape(), "datastore_up", {{"target", stopped}}),
            1);

  ensemble_->process(follower).Signal(SIGSTOP);
  absl::Time start = absl::Now();
  std::vector<Sample> samples = exporter->Scrape();
  absl::Duration took = absl::Now() - start;
  ensemble_->process(follower).Signal(SIGCONT);

  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", stopped}}), 0);
  EXPECT_TRUE(
      Select(samples, "datastore_shard_role", {{"target", stopped}}).empty());
  for (int i = 0; i < ensemble_->size(); ++i) {
    if (i == follower) continue;
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", TargetName(i)}}), 1);
  }
  EXPECT_EQ(Primaries(samples).size(), 1u);
  // Bounded by the 1 s timeout, not by the stopped server (generous
  // margin for a loaded machine: this checks the deadline exists, not speed).
  EXPECT_LT(took, absl::Seconds(3));
  EXPECT_LT(ValueOf(samples, "datastore_collect_duration_seconds",
                    {{"target", stopped}}),
            2);
  EXPECT_THAT(exporter->Logs(), HasSubstr("srvr: timed out"));
  // Resumed, it answers again (and the ensemble is whole for the next test).
  EXPECT_TRUE(WaitFor(
      [&] {
        return ValueOf(exporter->Scrape(), "datastore_up",
                       {{"target", stopped}}) == 1 &&
               !ensemble_->Mode(follower).empty();
      },
      absl::Seconds(30)));
}

TEST_F(ZooKeeperEnsembleTest, KillingTheLeaderGivesANewLeaderAtALaterScrape) {
  auto exporter = StartExporter("    timeout: 2s\n");
  ASSERT_NE(exporter, nullptr);
  const int leader = ensemble_->Leader();
  ASSERT_GE(leader, 0);
  const std::string old_leader = TargetName(leader);
  std::vector<Sample> samples = exporter->Scrape();
  ASSERT_THAT(Primaries(samples), ::testing::ElementsAre(old_leader));
  const double old_offset = OffsetOf(samples, old_leader);

  ensemble_->Kill(leader);
  // The survivors elect a new leader within a few ticks; until then they
  // answer "not serving requests" and are down.
  std::vector<std::string> primaries;
  auto survivors_up = [&] {
    for (int i = 0; i < ensemble_->size(); ++i) {
      if (i != leader &&
          ValueOf(samples, "datastore_up", {{"target", TargetName(i)}}) != 1) {
        return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        primaries = Primaries(samples);
        return primaries.size() == 1 && survivors_up();
      },
      absl::Seconds(60)))
      << "no single primary after the leader died: "
      << ::testing::PrintToString(primaries);
  const std::string new_leader = primaries[0];
  EXPECT_NE(new_leader, old_leader);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", old_leader}}), 0);
  // A dead target exports nothing stale.
  EXPECT_TRUE(Select(samples, "datastore_shard_role", {{"target", old_leader}})
                  .empty());
  EXPECT_TRUE(
      Select(samples, "datastore_info", {{"target", old_leader}}).empty());
  for (int i = 0; i < ensemble_->size(); ++i) {
    if (i == leader) continue;
    EXPECT_EQ(RoleOf(samples, TargetName(i)),
              TargetName(i) == new_leader ? "primary" : "secondary");
  }
  // A new leader starts a new epoch: its zxid is above everything before.
  EXPECT_GT(OffsetOf(samples, new_leader), old_offset);
  EXPECT_THAT(exporter->Logs(), HasSubstr("Connection refused"));

  // The old leader comes back as a follower of the new one.
  absl::Status restarted = ensemble_->Restart(leader);
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        return RoleOf(samples, old_leader) == "secondary" &&
               Primaries(samples).size() == 1;
      },
      absl::Seconds(30)));
  EXPECT_THAT(Primaries(samples), ::testing::ElementsAre(new_leader));
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
