// Test support: a 3-server ZooKeeper ensemble as a DatastoreFixture.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_FIXTURE_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/support/datastore_fixture.h"
#include "tests/support/zookeeper_ensemble.h"

namespace dse::testing {

// The primary is whichever server the ensemble elected leader; ZooKeeper has
// no cluster ID of its own, so the targets are configured with
// "coordination".
class ZooKeeperFixture : public DatastoreFixture {
 public:
  static constexpr char kClusterId[] = "coordination";

  std::string kind() const override { return "zookeeper"; }
  std::string offset_unit() const override { return "zxid"; }
  absl::Status Start(const TempDir& dir) override;
  int size() const override { return ensemble_->size(); }
  std::string address(int i) const override { return ensemble_->address(i); }
  std::string cluster_id() const override { return kClusterId; }
  int Primary() const override { return ensemble_->Leader(); }
  void Hang(int i) override;
  void Resume(int i) override;
  void Stop(int i) override;
  // Creates a znode through a running server (ZooKeeper's Java client: a
  // second or two).
  absl::Status Write() override;
  // Kills the leader and waits (at most 60 s) until the others elected a new
  // one and all of them serve requests.
  absl::StatusOr<int> FailOver() override;
  std::vector<std::string> hung_node_log_lines() const override {
    return {"srvr: timed out"};
  }

  ZooKeeperEnsemble& ensemble() const { return *ensemble_; }

 protected:
  std::string target_keys() const override;

 private:
  std::unique_ptr<ZooKeeperEnsemble> ensemble_;
  std::set<int> stopped_;
  int writes_ = 0;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_ZOOKEEPER_FIXTURE_H_
