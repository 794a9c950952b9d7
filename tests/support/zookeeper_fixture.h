// Test support: a 3-server ZooKeeper ensemble as a DatastoreFixture.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_FIXTURE_H_

#include <memory>

#include "tests/support/datastore_fixture.h"
#include "tests/support/zookeeper_ensemble.h"

namespace dse::testing {

// The primary is the server the ensemble elected leader. ZooKeeper has no
// cluster ID of its own: the targets are configured with kClusterId.
class ZooKeeperFixture : public DatastoreFixture {
 public:
  static constexpr char kClusterId[] = "coordination";

  ZooKeeperFixture()
      : DatastoreFixture({"zookeeper", "zxid", {"srvr: timed out"}}) {}
  absl::Status Start(const TempDir& dir) override;
  int Primary() const override { return ensemble_->Leader(); }
  // Creates a znode through a running server (ZooKeeper's Java client: a
  // second or two).
  absl::Status Write() override;
  // Kills the leader and waits (at most 60 s) until the others elected a new
  // one and all of them serve requests.
  absl::StatusOr<int> FailOver() override;

  ZooKeeperEnsemble& ensemble() const { return *ensemble_; }

 protected:
  void Signal(int i, int signal) override {
    ensemble_->process(i).Signal(signal);
  }
  void StopNode(int i) override { ensemble_->Kill(i); }

 private:
  std::unique_ptr<ZooKeeperEnsemble> ensemble_;
  int writes_ = 0;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_FIXTURE_H_
