// End-to-end tests of the exporter binary against a real 3-node RabbitMQ
// cluster (rabbitmq-server) on free loopback ports: quorum queues led by
// different nodes and a stream, each a shard. What every kind shows with one
// shard (hung and stopped nodes, failover of the one queue) is in
// cross_kind_test.cc.
//
// A cluster takes 20-40 s to form on 2 cores, so the tests share one, in
// order: the last one kills a node.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/rabbitmq_cluster.h"
#include "tests/support/rabbitmq_fixture.h"

namespace dse::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string Shard(const std::string& queue) { return "//" + queue; }

// Quorum queues, each declared through the node that first leads it, and
// how many messages each holds.
const std::map<std::string, int>& QuorumQueues() {
  static const auto* queues = new std::map<std::string, int>{
      {RabbitMqFixture::kQueue, 0}, {"invoices", 1}};
  return *queues;
}
constexpr char kStream[] = "events";    // Declared through node 2.
constexpr char kClassic[] = "scratch";  // Not replicated: not a shard.

class RabbitMqClusterTest : public ::testing::Test {
 protected:
  struct Shared {
    TempDir dir;  // Declared first: destroyed after the topology.
    RabbitMqFixture topology;
    absl::Status started;
  };

  static void SetUpTestSuite() {
    shared_ = new Shared;
    shared_->started = shared_->topology.Start(shared_->dir);
    RabbitMqCluster& cluster = shared_->topology.cluster();
    if (!shared_->started.ok()) return;
    for (const auto& [queue, node] : QuorumQueues()) {
      if (queue == RabbitMqFixture::kQueue) continue;  // Declared already.
      shared_->started.Update(cluster.DeclareQueue(node, queue, "quorum"));
    }
    shared_->started.Update(cluster.DeclareQueue(2, kStream, "stream"));
    shared_->started.Update(cluster.DeclareQueue(0, kClassic, "classic"));
    shared_->started.Update(cluster.Publish(1, "invoices", 7));
    shared_->started.Update(cluster.Publish(2, kStream, 3));
    shared_->started.Update(cluster.Publish(0, kClassic, 2));
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(shared_->started.ok())
        << "cannot start the rabbitmq topology: " << shared_->started;
  }

  RabbitMqFixture& topology() { return shared_->topology; }
  RabbitMqCluster& cluster() { return topology().cluster(); }
  // Targets are named after the nodes' short names (rabbit1...).
  std::string Target(int i) { return absl::StrCat("rabbit", i + 1); }

  std::unique_ptr<ExporterProcess> StartExporter() {
    std::vector<std::string> names;
    for (int i = 0; i < cluster().size(); ++i) names.push_back(Target(i));
    return ExporterProcess::StartOrFail(shared_->dir,
                                        topology().TargetsYaml(names));
  }

  // The leader of every quorum queue and of the stream, once every running
  // node names the same one for each (at most 20 s); {} otherwise.
  std::map<std::string, int> Leaders() {
    std::map<std::string, int> leaders;
    const std::vector<int> skip = topology().Stopped();
    WaitFor(
        [&] {
          leaders.clear();
          for (const auto& [queue, node] : QuorumQueues()) {
            leaders[queue] = cluster().Leader(queue, skip);
          }
          leaders[kStream] = cluster().Leader(kStream, skip);
          for (const auto& [queue, leader] : leaders) {
            if (leader < 0) return false;
          }
          return true;
        },
        absl::Seconds(20), absl::Milliseconds(200));
    for (const auto& [queue, leader] : leaders) {
      if (leader < 0) return {};
    }
    return leaders;
  }

  // Scrapes until every running node's commit offset of every quorum queue
  // is the index all of them show (the plugin refreshes every 5 s), at
  // least `at_least` (by queue; 1 when not given).
  bool OffsetsSettle(const ExporterProcess& exporter,
                     std::vector<Sample>* samples, std::string* raw,
                     const std::map<std::string, int64_t>& at_least = {}) {
    std::map<std::string, int64_t> settled;
    for (const auto& [queue, node] : QuorumQueues()) {
      auto least = at_least.find(queue);
      settled[queue] = topology().SettledCommitIndex(
          queue, least == at_least.end() ? 1 : least->second);
      if (settled[queue] < 0) return false;
    }
    return WaitFor(
        [&] {
          *samples = exporter.Scrape(raw);
          for (int i = 0; i < cluster().size(); ++i) {
            if (absl::c_linear_search(topology().Stopped(), i)) continue;
            for (const auto& [queue, index] : settled) {
              if (ValueOf(*samples, "datastore_shard_commit_offset",
                          {{"target", Target(i)},
                           {"shard", Shard(queue)},
                           {"unit", "raft_index"}}) != index) {
                return false;
              }
            }
          }
          return true;
        },
        absl::Seconds(20), absl::Milliseconds(250));
  }

  static Shared* shared_;
};

RabbitMqClusterTest::Shared* RabbitMqClusterTest::shared_ = nullptr;

TEST_F(RabbitMqClusterTest, EveryQuorumQueueAndStreamIsAShardWithOnePrimary) {
  const std::map<std::string, int> leaders = Leaders();
  ASSERT_THAT(leaders, SizeIs(3));
  // Each queue is first led by the node it was declared through.
  EXPECT_EQ(leaders.at(RabbitMqFixture::kQueue), 0);
  EXPECT_EQ(leaders.at("invoices"), 1);
  EXPECT_EQ(leaders.at(kStream), 2);

  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> samples;
  std::string raw;
  EXPECT_TRUE(OffsetsSettle(*exporter, &samples, &raw)) << raw;

  const std::string cluster_id = cluster().PermanentId(0);
  ASSERT_FALSE(cluster_id.empty());
  for (int i = 0; i < cluster().size(); ++i) {
    const std::string target = Target(i);
    std::set<std::string> shards = {Shard(RabbitMqFixture::kQueue),
                                    Shard("invoices")};
    // A stream is a shard on its writer only: RabbitMQ 3.10 names no
    // other replica without statistics (collectors/rabbitmq/README.md).
    if (i == leaders.at(kStream)) shards.insert(Shard(kStream));
    EXPECT_EQ(ShardsOf(samples, target), shards) << target;
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_THAT(info, SizeIs(1)) << target;
    EXPECT_EQ(info[0].labels["cluster_id"], cluster_id);
    EXPECT_EQ(info[0].labels["cluster_display_name"], RabbitMqCluster::kName);
    EXPECT_EQ(info[0].labels["node"], cluster().node_name(i));
    EXPECT_THAT(info[0].labels["version"],
                ::testing::MatchesRegex("3\\.[0-9]+\\.[0-9]+"));
  }
  for (const auto& [queue, leader] : leaders) {
    EXPECT_THAT(PrimariesOf(samples, Shard(queue)), ElementsAre(Target(leader)))
        << queue;
    if (queue == kStream) continue;
    for (int i = 0; i < cluster().size(); ++i) {
      if (i == leader) continue;
      EXPECT_EQ(RoleOf(samples, Target(i), Shard(queue)), "secondary")
          << queue << " on " << Target(i);
    }
  }
  // A stream has no offset over HTTP in 3.10; no lag is exported (a
  // follower's applied index trails nothing the plugin shows).
  EXPECT_THAT(Select(samples, "datastore_shard_commit_offset",
                     {{"shard", Shard(kStream)}}),
              IsEmpty());
  EXPECT_THAT(Select(samples, "datastore_shard_replication_lag"), IsEmpty());
  EXPECT_EQ(PromtoolComplaints(shared_->dir, raw), "");
}

// The "monitoring" tag alone lists no queue of a vhost: the target is up
// with no shards, and the log says why and what to do.
TEST_F(RabbitMqClusterTest, UserWithoutPermissionsOnTheVhostIsWarnedOf) {
  ASSERT_TRUE(cluster()
                  .AddMonitoringUser("blind", "blind-password",
                                     /*permissions=*/false)
                  .ok());
  const std::string password_file = shared_->dir.path() + "/blind-password";
  ASSERT_TRUE(WriteFile(password_file, "blind-password\n"));
  auto exporter = ExporterProcess::StartOrFail(
      shared_->dir,
      "targets:\n" +
          TargetBlock("blind", "rabbitmq", cluster().address(0),
                      absl::StrCat("    username: blind\n    password_file: ",
                                   password_file,
                                   "\n    options:\n      prometheus_port: \"",
                                   cluster().prometheus_port(0), "\"\n")));
  ASSERT_NE(exporter, nullptr);
  const std::vector<Sample> samples = exporter->Scrape();
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", "blind"}}), 1);
  EXPECT_THAT(ShardsOf(samples, "blind"), IsEmpty());
  EXPECT_THAT(exporter->Logs(),
              ::testing::HasSubstr("rabbitmq queue list names no queue of "
                                   "vhosts where this node holds quorum queue "
                                   "members"));
  EXPECT_THAT(exporter->Logs(), ::testing::HasSubstr("vhosts=/"));
}

// Last: it kills a node.
TEST_F(RabbitMqClusterTest, KilledQueueLeaderGivesItANewPrimaryOnASurvivor) {
  const std::map<std::string, int> leaders = Leaders();
  ASSERT_THAT(leaders, SizeIs(3));
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int killed = leaders.at("invoices");
  ASSERT_NE(killed, leaders.at(kStream));
  const std::string gone = Target(killed);
  ASSERT_THAT(PrimariesOf(exporter->Scrape(), Shard("invoices")),
              ElementsAre(gone));

  topology().Stop(killed);
  // From now on no scrape may show a queue with two primaries; each ends
  // with one, on a survivor (RabbitMQ elects in well under a second).
  std::vector<std::string> shards;
  for (const auto& [queue, leader] : leaders) shards.push_back(Shard(queue));
  ElectionSeen seen = WatchElection(*exporter, shards, gone);
  ASSERT_TRUE(seen.elected);
  std::vector<Sample> samples = std::move(seen.samples);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", gone}}), 0);
  EXPECT_THAT(ShardsOf(samples, gone), IsEmpty());
  // The survivors agree with RabbitMQ: the leader each names.
  const std::map<std::string, int> now = Leaders();
  ASSERT_THAT(now, SizeIs(3));
  for (const auto& [queue, leader] : now) {
    EXPECT_NE(leader, killed) << queue;
    EXPECT_THAT(PrimariesOf(samples, Shard(queue)), ElementsAre(Target(leader)))
        << queue;
  }
  // Writes go on through the new leader, and the survivors follow it.
  const int64_t before = topology().SettledCommitIndex("invoices", 1);
  ASSERT_GT(before, 0);
  ASSERT_TRUE(cluster().Publish(now.at("invoices"), "invoices", 3).ok());
  std::string raw;
  EXPECT_TRUE(
      OffsetsSettle(*exporter, &samples, &raw, {{"invoices", before + 3}}))
      << raw;
  EXPECT_GE(ValueOf(samples, "datastore_shard_commit_offset",
                    {{"target", Target(now.at("invoices"))},
                     {"shard", Shard("invoices")}}),
            static_cast<double>(before + 3));
}

}  // namespace
}  // namespace dse::testing
