// Test support: a 3-node RabbitMQ cluster with one quorum queue as a
// DatastoreFixture: the queue is the shard, its leader the primary.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_RABBITMQ_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_RABBITMQ_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "tests/support/datastore_fixture.h"
#include "tests/support/rabbitmq_cluster.h"

namespace dse::testing {

class RabbitMqFixture : public DatastoreFixture {
 public:
  // The quorum queue, in vhost "/": shard "//orders".
  static constexpr char kQueue[] = "orders";

  // A hung node's own target times out on the plugin; every other target's
  // queue list then waits for the hung member and gives way to the metrics.
  RabbitMqFixture()
      : DatastoreFixture(
            {"rabbitmq",
             "raft_index",
             {"ra_metrics: timed out", "rabbitmq queue list timed out"}}) {}
  // Starts the cluster, declares the queue through node 0 (its first
  // leader) and publishes one message, then waits until every node names
  // the leader and every member's commit index, as the plugin shows it,
  // is the same.
  absl::Status Start(const TempDir& dir) override;
  // The queue's leader, when every running node names it.
  int Primary() const override;
  // Publishes one message to the queue through a running node.
  absl::Status Write() override;
  // Kills the queue's leader and waits (at most 30 s) until every survivor
  // names the same new leader.
  absl::StatusOr<int> FailOver() override {
    return FailOverByElection(absl::Seconds(30));
  }

  RabbitMqCluster& cluster() const { return *cluster_; }
  // The nodes stopped so far.
  std::vector<int> Stopped() const;
  // Waits (at most 20 s: the plugin refreshes every 5 s) until every
  // running node shows the same commit index of quorum queue `queue`, at
  // least `at_least`; returns it, or -1.
  int64_t SettledCommitIndex(const std::string& queue, int64_t at_least) const;

 protected:
  std::string NodeKeys(int i) const override;
  void Signal(int i, int signal) override {
    cluster_->process(i).Signal(signal);
  }
  void StopNode(int i) override { cluster_->Kill(i); }

 private:
  std::unique_ptr<RabbitMqCluster> cluster_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_RABBITMQ_FIXTURE_H_
