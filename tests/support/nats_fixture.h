// Test support: a 3-node NATS JetStream cluster with one R3 stream as a
// DatastoreFixture: the stream is the shard, its leader the primary.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_NATS_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_NATS_FIXTURE_H_

#include <memory>
#include <vector>

#include "tests/support/datastore_fixture.h"
#include "tests/support/nats_cluster.h"

namespace dse::testing {

class NatsFixture : public DatastoreFixture {
 public:
  // The stream, in the global account: shard "$G/ORDERS".
  static constexpr char kStream[] = "ORDERS";

  NatsFixture()
      : DatastoreFixture({"nats", "stream_sequence", {"/varz: timed out"}}) {}
  // Starts the cluster, creates the stream and publishes one message, then
  // waits until every replica has it and every node names the leader.
  absl::Status Start(const TempDir& dir) override;
  // The leader of the stream, when every running node names it.
  int Primary() const override;
  // Publishes one message to the stream through a running node.
  absl::Status Write() override;
  // Kills the stream's leader and waits (at most 30 s) until every survivor
  // names the same new leader.
  absl::StatusOr<int> FailOver() override;

  NatsCluster& cluster() const { return *cluster_; }

 protected:
  void Signal(int i, int signal) override {
    cluster_->process(i).Signal(signal);
  }
  void StopNode(int i) override { cluster_->Kill(i); }

 private:
  std::vector<int> Stopped() const;

  std::unique_ptr<NatsCluster> cluster_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_NATS_FIXTURE_H_
