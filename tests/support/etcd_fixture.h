// Test support: a 3-member etcd cluster as a DatastoreFixture.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_FIXTURE_H_

#include <memory>

#include "tests/support/datastore_fixture.h"
#include "tests/support/etcd_cluster.h"

namespace dse::testing {

// The primary is the member the cluster elected leader; the cluster ID is
// etcd's own (header.cluster_id, decimal).
class EtcdFixture : public DatastoreFixture {
 public:
  EtcdFixture() : DatastoreFixture({"etcd", "raft_index"}) {}
  absl::Status Start(const TempDir& dir) override;
  int Primary() const override { return cluster_->Leader(); }
  // Puts a key through a running member.
  absl::Status Write() override;
  // Kills the leader and waits (at most 20 s) until another member leads.
  absl::StatusOr<int> FailOver() override {
    return FailOverByElection(absl::Seconds(20));
  }

  EtcdCluster& cluster() const { return *cluster_; }

 protected:
  void Signal(int i, int signal) override {
    cluster_->process(i).Signal(signal);
  }
  // SIGKILL: a graceful stop may wait seconds for a leadership transfer.
  void StopNode(int i) override;

 private:
  std::unique_ptr<EtcdCluster> cluster_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_FIXTURE_H_
