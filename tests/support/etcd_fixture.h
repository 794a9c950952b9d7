// Test support: a 3-member etcd cluster as a DatastoreFixture.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_FIXTURE_H_

#include <memory>
#include <set>
#include <string>

#include "tests/support/datastore_fixture.h"
#include "tests/support/etcd_cluster.h"

namespace dse::testing {

// The primary is whichever member the cluster elected leader; the cluster ID
// is etcd's own (header.cluster_id, decimal).
class EtcdFixture : public DatastoreFixture {
 public:
  std::string kind() const override { return "etcd"; }
  std::string offset_unit() const override { return "raft_index"; }
  absl::Status Start(const TempDir& dir) override;
  int size() const override { return cluster_->size(); }
  std::string address(int i) const override { return cluster_->address(i); }
  std::string cluster_id() const override { return cluster_id_; }
  int Primary() const override { return cluster_->Leader(); }
  void Hang(int i) override;
  void Resume(int i) override;
  // SIGKILL: a graceful stop may wait seconds for a leadership transfer.
  void Stop(int i) override;
  // Puts a key through a running member.
  absl::Status Write() override;
  // Kills the leader and waits (at most 20 s) until another member leads.
  absl::StatusOr<int> FailOver() override;

  EtcdCluster& cluster() const { return *cluster_; }

 protected:
  std::string target_keys() const override { return ""; }

 private:
  std::unique_ptr<EtcdCluster> cluster_;
  std::string cluster_id_;
  std::set<int> stopped_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_ETCD_FIXTURE_H_
