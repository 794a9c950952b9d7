// Properties every datastore kind must show through the exporter binary,
// each stated once and checked against a real topology of every kind that
// tests/support/datastore_fixture.h knows (a primary and its secondaries on
// free loopback ports). What only one kind does stays in <kind>_test.cc.
//
// One topology per kind serves all the tests of that kind. A test that stops
// a node or fails over leaves it broken, and the next test of the kind starts
// a new one; the suite orders those tests last.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/datastore_fixture.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TargetName(int node) { return absl::StrCat("node", node); }

double Up(const std::vector<Sample>& samples, int node) {
  return ValueOf(samples, "datastore_up", {{"target", TargetName(node)}});
}

// The shards node holds.
std::set<std::string> ShardsOf(const std::vector<Sample>& samples, int node) {
  return ShardsOf(samples, TargetName(node));
}

// True when node exports nothing but datastore_up 0 (nothing stale).
bool DownWithNothingStale(const std::vector<Sample>& samples, int node) {
  const std::map<std::string, std::string> target = {
      {"target", TargetName(node)}};
  return Up(samples, node) == 0 &&
         Select(samples, "datastore_info", target).empty() &&
         Select(samples, "datastore_shard_role", target).empty() &&
         Select(samples, "datastore_shard_commit_offset", target).empty();
}

class CrossKindTest : public ::testing::TestWithParam<std::string> {
 protected:
  struct Topology {
    TempDir dir;  // Declared first: destroyed after the fixture.
    std::unique_ptr<DatastoreFixture> fixture;
    bool whole = false;
  };

  static void SetUpTestSuite() {
    topologies_ = new std::map<std::string, std::unique_ptr<Topology>>;
  }
  static void TearDownTestSuite() {
    delete topologies_;
    topologies_ = nullptr;
  }

  void SetUp() override {
    std::unique_ptr<Topology>& topology = (*topologies_)[GetParam()];
    if (topology == nullptr || !topology->whole) {
      topology.reset();  // A broken one is stopped before the next starts.
      topology = std::make_unique<Topology>();
      auto fixture = MakeDatastoreFixture(GetParam());
      ASSERT_TRUE(fixture.ok()) << fixture.status();
      topology->fixture = *std::move(fixture);
      absl::Status started = topology->fixture->Start(topology->dir);
      ASSERT_TRUE(started.ok())
          << "cannot start the " << GetParam() << " topology: " << started;
      topology->whole = true;
    }
    topology_ = topology.get();
    fixture_ = topology->fixture.get();
  }

  // The test is about to stop a node or fail over: the next test of this
  // kind needs a new topology.
  void Breaking() { topology_->whole = false; }

  // An exporter with every node as a target named TargetName(node), each
  // entry ending in `more`.
  std::unique_ptr<ExporterProcess> StartExporter(
      const std::string& more = "") const {
    std::vector<std::string> names;
    for (int node = 0; node < fixture_->size(); ++node) {
      names.push_back(TargetName(node));
    }
    return ExporterProcess::StartOrFail(topology_->dir,
                                        fixture_->TargetsYaml(names, more));
  }

  // The commit offset of node in the kind's unit; NaN unless there is
  // exactly one such series.
  double OffsetOf(const std::vector<Sample>& samples, int node) const {
    return ValueOf(
        samples, "datastore_shard_commit_offset",
        {{"target", TargetName(node)}, {"unit", fixture_->offset_unit()}});
  }

  // Scrapes until the primary's offset passed `after` and every node of
  // `nodes` is at the primary's offset (at most 20 s). True when they were.
  bool ReachThePrimarysOffset(const ExporterProcess& exporter, int primary,
                              const std::vector<int>& nodes, double after,
                              std::vector<Sample>* samples) const {
    return WaitFor(
        [&] {
          *samples = exporter.Scrape();
          const double offset = OffsetOf(*samples, primary);
          if (!(offset > after)) return false;
          for (int node : nodes) {
            if (OffsetOf(*samples, node) != offset) return false;
          }
          return true;
        },
        absl::Seconds(20), absl::Milliseconds(200));
  }

  // Every node but `gone` is up and in its role: `primary` the one primary
  // of each of its shards, the others secondaries.
  void ExpectTheOthersUp(const std::vector<Sample>& samples, int gone,
                         int primary) const {
    for (const std::string& shard : ShardsOf(samples, primary)) {
      EXPECT_THAT(PrimariesOf(samples, shard), ElementsAre(TargetName(primary)))
          << "shard " << shard;
    }
    for (int node : NodesBut(gone)) {
      EXPECT_EQ(Up(samples, node), 1) << TargetName(node);
      EXPECT_EQ(RoleOf(samples, TargetName(node)),
                node == primary ? "primary" : "secondary")
          << TargetName(node);
    }
  }

  // Every node but `except`.
  std::vector<int> NodesBut(int except) const {
    std::vector<int> nodes;
    for (int node = 0; node < fixture_->size(); ++node) {
      if (node != except) nodes.push_back(node);
    }
    return nodes;
  }

  static std::map<std::string, std::unique_ptr<Topology>>* topologies_;
  Topology* topology_ = nullptr;
  DatastoreFixture* fixture_ = nullptr;
};

std::map<std::string, std::unique_ptr<CrossKindTest::Topology>>*
    CrossKindTest::topologies_ = nullptr;

TEST_P(CrossKindTest, ExactlyOnePrimaryPerShardAndOneClusterId) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> samples;
  int primary = -1;
  // The datastore names the same primary before and after the scrape (an
  // election in between, possible on a loaded machine, only delays this).
  ASSERT_TRUE(WaitFor(
      [&] {
        primary = fixture_->Primary();
        samples = exporter->Scrape();
        return primary >= 0 && fixture_->Primary() == primary;
      },
      absl::Seconds(15)))
      << "the " << GetParam() << " topology has no stable primary";

  const std::set<std::string> shards = ShardsOf(samples, primary);
  ASSERT_FALSE(shards.empty()) << exporter->Logs();
  for (const std::string& shard : shards) {
    EXPECT_THAT(PrimariesOf(samples, shard), ElementsAre(TargetName(primary)))
        << "shard " << shard;
  }
  for (int node = 0; node < fixture_->size(); ++node) {
    const std::string target = TargetName(node);
    EXPECT_EQ(ValueOf(samples, "datastore_up",
                      {{"target", target}, {"kind", fixture_->kind()}}),
              1)
        << target;
    EXPECT_EQ(ShardsOf(samples, node), shards) << target;
    for (const std::string& shard : shards) {
      // A state set: four role series, exactly one of them 1.
      EXPECT_EQ(Select(samples, "datastore_shard_role",
                       {{"target", target}, {"shard", shard}})
                    .size(),
                4u)
          << target;
      EXPECT_EQ(RoleOf(samples, target, shard),
                node == primary ? "primary" : "secondary")
          << target;
    }
    EXPECT_EQ(
        Select(samples, "datastore_info",
               {{"target", target}, {"cluster_id", fixture_->cluster_id()}})
            .size(),
        1u)
        << target;
  }
}

TEST_P(CrossKindTest, CommitOffsetsAreComparableAfterAWrite) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int primary = fixture_->Primary();
  ASSERT_GE(primary, 0);
  const double before = OffsetOf(exporter->Scrape(), primary);
  ASSERT_GT(before, 0) << "no commit offset in " << fixture_->offset_unit();

  ASSERT_TRUE(fixture_->Write().ok());
  std::vector<Sample> samples;
  EXPECT_TRUE(ReachThePrimarysOffset(*exporter, primary, NodesBut(-1), before,
                                     &samples))
      << "primary's offset " << OffsetOf(samples, primary) << ", before "
      << before;
  // One offset per node and shard, all in the kind's one unit.
  for (int node = 0; node < fixture_->size(); ++node) {
    for (const std::string& shard : ShardsOf(samples, node)) {
      auto offsets = Select(samples, "datastore_shard_commit_offset",
                            {{"target", TargetName(node)}, {"shard", shard}});
      ASSERT_EQ(offsets.size(), 1u) << TargetName(node) << " shard " << shard;
      EXPECT_EQ(offsets[0].labels["unit"], fixture_->offset_unit());
    }
  }
}

TEST_P(CrossKindTest, HungNodeDelaysNoOtherTarget) {
  auto exporter = StartExporter("    timeout: 500ms\n");
  ASSERT_NE(exporter, nullptr);
  const int primary = fixture_->Primary();
  ASSERT_GE(primary, 0);
  // A secondary: a hung leader of ZooKeeper or etcd would be voted out.
  const int hung = (primary + 1) % fixture_->size();
  // Up first. The first collection also loads the kind's client library,
  // which under a sanitizer can outlast the 500 ms timeout: wait for it.
  ASSERT_TRUE(WaitFor([&] { return Up(exporter->Scrape(), hung) == 1; },
                      absl::Seconds(10)));

  fixture_->Hang(hung);
  absl::Cleanup resume = [&] { fixture_->Resume(hung); };
  // First the kept connection's request hangs, then a new connection's.
  for (int round = 0; round < 2; ++round) {
    absl::Time start = absl::Now();
    std::vector<Sample> samples = exporter->Scrape();
    absl::Duration took = absl::Now() - start;
    EXPECT_TRUE(DownWithNothingStale(samples, hung)) << "round " << round;
    ExpectTheOthersUp(samples, hung, primary);
    // Bounded by the 500 ms timeout, not by the hung node (generous margin
    // for a loaded machine: this checks the deadline exists, not speed).
    EXPECT_LT(took, absl::Seconds(3)) << "round " << round;
    EXPECT_LT(ValueOf(samples, "datastore_collect_duration_seconds",
                      {{"target", TargetName(hung)}}),
              1.5)
        << "round " << round;
  }
  std::move(resume).Invoke();
  const std::string logs = exporter->Logs();
  for (const std::string& line : fixture_->hung_node_log_lines()) {
    EXPECT_THAT(logs, HasSubstr(line));
  }
  // Resumed, it is up again at a later scrape: a new connection is made.
  EXPECT_TRUE(WaitFor([&] { return Up(exporter->Scrape(), hung) == 1; },
                      absl::Seconds(10)));
}

TEST_P(CrossKindTest, StoppedNodeIsDownAndTheOthersStayUp) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int primary = fixture_->Primary();
  ASSERT_GE(primary, 0);
  // A secondary: the others keep a quorum and their primary.
  const int stopped = (primary + 1) % fixture_->size();
  ASSERT_EQ(Up(exporter->Scrape(), stopped), 1);

  Breaking();
  fixture_->Stop(stopped);
  std::vector<Sample> samples = exporter->Scrape();
  EXPECT_TRUE(DownWithNothingStale(samples, stopped));
  // Refused at once: no waiting for a timeout.
  EXPECT_LT(ValueOf(samples, "datastore_collect_duration_seconds",
                    {{"target", TargetName(stopped)}}),
            0.5);
  ExpectTheOthersUp(samples, stopped, primary);
  const std::string logs = exporter->Logs();
  EXPECT_THAT(logs, HasSubstr("target is down"));
  EXPECT_THAT(logs, HasSubstr("target=" + TargetName(stopped)));
}

TEST_P(CrossKindTest, FailoverIsVisibleAtTheNextScrape) {
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int old_primary = fixture_->Primary();
  ASSERT_GE(old_primary, 0);
  std::vector<Sample> before = exporter->Scrape();
  ASSERT_EQ(RoleOf(before, TargetName(old_primary)), "primary");
  const std::set<std::string> shards = ShardsOf(before, old_primary);
  const double old_offset = OffsetOf(before, old_primary);

  Breaking();
  absl::StatusOr<int> promoted = fixture_->FailOver();
  ASSERT_TRUE(promoted.ok()) << promoted.status();
  const int new_primary = *promoted;
  ASSERT_NE(new_primary, old_primary);

  std::vector<Sample> samples = exporter->Scrape();
  for (const std::string& shard : shards) {
    EXPECT_THAT(PrimariesOf(samples, shard),
                ElementsAre(TargetName(new_primary)))
        << "shard " << shard;
  }
  EXPECT_TRUE(DownWithNothingStale(samples, old_primary));
  // No committed write is lost: the offset goes on from the old primary's.
  EXPECT_GE(OffsetOf(samples, new_primary), old_offset);
  const std::string logs = exporter->Logs();
  EXPECT_THAT(logs, HasSubstr("target is down"));
  EXPECT_THAT(logs, HasSubstr("target=" + TargetName(old_primary)));

  // Every survivor is up (a ZooKeeper follower may still be syncing with its
  // new leader), a secondary of the new primary, in the same cluster.
  const std::vector<int> survivors = NodesBut(old_primary);
  EXPECT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        for (int node : survivors) {
          if (Up(samples, node) != 1) return false;
        }
        return true;
      },
      absl::Seconds(30)));
  ExpectTheOthersUp(samples, old_primary, new_primary);
  for (int node : survivors) {
    EXPECT_EQ(Select(samples, "datastore_info",
                     {{"target", TargetName(node)},
                      {"cluster_id", fixture_->cluster_id()}})
                  .size(),
              1u)
        << TargetName(node);
  }

  // The new primary takes writes and the survivors follow it.
  const double after = OffsetOf(samples, new_primary);
  ASSERT_TRUE(fixture_->Write().ok());
  EXPECT_TRUE(ReachThePrimarysOffset(*exporter, new_primary, survivors, after,
                                     &samples))
      << "new primary's offset " << OffsetOf(samples, new_primary)
      << ", before the write " << after;
}

INSTANTIATE_TEST_SUITE_P(AllKinds, CrossKindTest,
                         ::testing::ValuesIn(DatastoreFixtureKinds()),
                         [](const ::testing::TestParamInfo<std::string>& kind) {
                           return kind.param;
                         });

}  // namespace
}  // namespace dse::testing
