// End-to-end tests of the exporter binary against real NATS JetStream
// clusters (nats-server) on free loopback ports: many streams, each a shard
// with its own leader. What every kind shows with one shard (hung and
// stopped nodes, failover of the one stream) is in cross_kind_test.cc.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/nats_cluster.h"
#include "tests/support/nats_fixture.h"

namespace dse::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::string Shard(const std::string& stream) { return "$G/" + stream; }

// A 3-node cluster with stream ORDERS (one message); targets are named
// after the servers (n1, n2, n3).
class NatsClusterTest : public DatastoreTest<NatsFixture> {
 protected:
  NatsClusterTest() : DatastoreTest({"n1", "n2", "n3"}) {}

  NatsCluster& cluster() { return topology_.cluster(); }

  // Every running node's name of the leader of each stream, once every
  // node agrees on one for each (at most 20 s); {} otherwise.
  std::map<std::string, int> Leaders(const std::vector<std::string>& streams,
                                     const std::vector<int>& skip = {}) {
    std::map<std::string, int> leaders;
    WaitFor(
        [&] {
          leaders.clear();
          for (const std::string& stream : streams) {
            const int leader = cluster().StreamLeader(stream, skip);
            if (leader < 0) return false;
            leaders[stream] = leader;
          }
          return true;
        },
        absl::Seconds(20), absl::Milliseconds(100));
    if (leaders.size() != streams.size()) leaders.clear();
    return leaders;
  }

  // Adds R3 streams ALPHA and BETA and moves leaders (step-downs) until the
  // three streams are led by at least two nodes. Returns their leaders.
  std::map<std::string, int> ThreeStreamsOnTwoLeadersOrMore() {
    for (const char* stream : {"ALPHA", "BETA"}) {
      absl::Status created = cluster().CreateStream(0, stream, 3);
      EXPECT_TRUE(created.ok()) << created;
    }
    std::map<std::string, int> leaders;
    // A step-down elects one of the other two replicas: 10 tries are
    // plenty.
    for (int attempt = 0; attempt < 10; ++attempt) {
      leaders = Leaders(streams_);
      if (leaders.empty()) break;
      std::set<int> nodes;
      for (const auto& [stream, leader] : leaders) nodes.insert(leader);
      if (nodes.size() >= 2) return leaders;
      auto stepped = cluster().Api(0, "STREAM.LEADER.STEPDOWN.ALPHA");
      EXPECT_TRUE(stepped.ok()) << stepped.status();
    }
    ADD_FAILURE() << "stream leaders did not spread over two nodes";
    return {};
  }

  const std::vector<std::string> streams_ = {"ORDERS", "ALPHA", "BETA"};
};

TEST_F(NatsClusterTest, EveryStreamIsAShardWithOneLeaderAndOneOffset) {
  const std::map<std::string, int> leaders = ThreeStreamsOnTwoLeadersOrMore();
  ASSERT_THAT(leaders, SizeIs(3));
  // ORDERS has one message already: 6, 7 and 9 in all.
  const std::map<std::string, int> published = {
      {"ORDERS", 5}, {"ALPHA", 7}, {"BETA", 9}};
  for (const auto& [stream, count] : published) {
    auto sequence = cluster().Publish(1, stream + ".x", count);
    ASSERT_TRUE(sequence.ok()) << sequence.status();
  }
  const std::map<std::string, double> last = {
      {"ORDERS", 6}, {"ALPHA", 7}, {"BETA", 9}};

  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> samples;
  std::string raw;
  // Followers apply the messages a moment after the leader acked them.
  const bool caught_up = WaitFor(
      [&] {
        samples = exporter->Scrape(&raw);
        for (int i = 0; i < cluster().size(); ++i) {
          for (const auto& [stream, offset] : last) {
            if (ValueOf(samples, "datastore_shard_commit_offset",
                        {{"target", cluster().name(i)},
                         {"shard", Shard(stream)},
                         {"unit", "stream_sequence"}}) != offset) {
              return false;
            }
          }
        }
        return true;
      },
      absl::Seconds(20), absl::Milliseconds(200));
  EXPECT_TRUE(caught_up) << raw;

  const std::set<std::string> shards = {Shard("ALPHA"), Shard("BETA"),
                                        Shard("ORDERS")};
  for (int i = 0; i < cluster().size(); ++i) {
    const std::string& target = cluster().name(i);
    EXPECT_EQ(ShardsOf(samples, target), shards) << target;
    auto info = Select(samples, "datastore_info", {{"target", target}});
    ASSERT_THAT(info, SizeIs(1)) << target;
    EXPECT_EQ(info[0].labels["cluster_id"], NatsCluster::kName);
    EXPECT_EQ(info[0].labels["node"], cluster().name(i));
    EXPECT_THAT(info[0].labels["version"],
                ::testing::MatchesRegex("2\\.[0-9]+\\.[0-9]+"));
  }
  // Each stream's one primary is its leader, and they are not all on one
  // node.
  std::set<std::string> primaries;
  for (const auto& [stream, leader] : leaders) {
    EXPECT_THAT(PrimariesOf(samples, Shard(stream)),
                ElementsAre(cluster().name(leader)))
        << stream;
    for (int i = 0; i < cluster().size(); ++i) {
      if (i == leader) continue;
      EXPECT_EQ(RoleOf(samples, cluster().name(i), Shard(stream)), "secondary")
          << stream << " on " << cluster().name(i);
    }
    primaries.insert(cluster().name(leader));
  }
  EXPECT_GE(primaries.size(), 2u);
  // A 2.9 follower cannot tell its own lag: none is exported.
  EXPECT_THAT(Select(samples, "datastore_shard_replication_lag"), IsEmpty());
  EXPECT_EQ(PromtoolComplaints(dir_, raw), "");
}

TEST_F(NatsClusterTest, KilledStreamLeaderGivesItANewPrimaryOnASurvivor) {
  const std::map<std::string, int> leaders = ThreeStreamsOnTwoLeadersOrMore();
  ASSERT_THAT(leaders, SizeIs(3));
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  const int killed = leaders.at("BETA");
  const std::string gone = cluster().name(killed);

  topology_.Stop(killed);
  // From now on, no scrape may show a stream with two primaries; each
  // stream ends with one, on a survivor (nats-server takes 3.7-8.2 s to
  // elect after a SIGKILL).
  std::vector<std::string> shards;
  for (const std::string& stream : streams_) shards.push_back(Shard(stream));
  ElectionSeen seen = WatchElection(*exporter, shards, gone);
  ASSERT_TRUE(seen.elected);
  std::vector<Sample> samples = std::move(seen.samples);
  EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", gone}}), 0);
  EXPECT_THAT(ShardsOf(samples, gone), IsEmpty());
  // The survivors agree with the datastore: the leader each names.
  const std::map<std::string, int> now = Leaders(streams_, {killed});
  ASSERT_THAT(now, SizeIs(3));
  for (const auto& [stream, leader] : now) {
    EXPECT_THAT(PrimariesOf(samples, Shard(stream)),
                ElementsAre(cluster().name(leader)))
        << stream;
  }
  // Writes go on through the new leader, and both survivors follow.
  auto sequence = cluster().Publish((killed + 1) % 3, "BETA.after", 3);
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_TRUE(WaitFor(
      [&] {
        samples = exporter->Scrape();
        for (int i = 0; i < cluster().size(); ++i) {
          if (i == killed) continue;
          if (ValueOf(samples, "datastore_shard_commit_offset",
                      {{"target", cluster().name(i)},
                       {"shard", Shard("BETA")}}) != *sequence) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(20), absl::Milliseconds(200)));
}

// A stream with one replica lives on one node: while that node is down, no
// survivor lists it, so its shard is absent rather than without a primary.
TEST_F(NatsClusterTest, StreamWhoseOnlyReplicaIsDownIsAbsent) {
  ASSERT_TRUE(cluster().CreateStream(0, "SOLO", /*replicas=*/1).ok());
  ASSERT_TRUE(cluster().Publish(0, "SOLO.x", 3).ok());
  int holder = -1;
  for (int i = 0; i < cluster().size(); ++i) {
    if (cluster().LastSequenceOn(i, "SOLO") >= 0) holder = i;
  }
  ASSERT_GE(holder, 0);
  auto exporter = StartExporter();
  ASSERT_NE(exporter, nullptr);
  std::vector<Sample> samples = exporter->Scrape();
  // The one replica is the stream's leader.
  EXPECT_THAT(PrimariesOf(samples, Shard("SOLO")),
              ElementsAre(cluster().name(holder)));
  EXPECT_THAT(
      Select(samples, "datastore_shard_role", {{"shard", Shard("SOLO")}}),
      SizeIs(4));  // One node's state set.

  topology_.Stop(holder);
  samples = exporter->Scrape();
  EXPECT_EQ(
      ValueOf(samples, "datastore_up", {{"target", cluster().name(holder)}}),
      0);
  EXPECT_THAT(
      Select(samples, "datastore_shard_role", {{"shard", Shard("SOLO")}}),
      IsEmpty());
  // The survivors still report ORDERS (with or without its leader, which
  // may have been the stopped node).
  for (int i = 0; i < cluster().size(); ++i) {
    if (i == holder) continue;
    EXPECT_EQ(ShardsOf(samples, cluster().name(i)),
              std::set<std::string>{Shard("ORDERS")})
        << cluster().name(i);
  }
}

}  // namespace
}  // namespace dse::testing
