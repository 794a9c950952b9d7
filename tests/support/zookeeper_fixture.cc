#include "tests/support/zookeeper_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status ZooKeeperFixture::Start(const TempDir& dir) {
  auto ensemble = ZooKeeperEnsemble::Start(dir);
  if (!ensemble.ok()) return ensemble.status();
  ensemble_ = *std::move(ensemble);
  TakeAddresses(*ensemble_);
  cluster_id_ = kClusterId;
  target_keys_ = absl::StrCat("    cluster_id: ", kClusterId, "\n");
  return absl::OkStatus();
}

absl::Status ZooKeeperFixture::Write() {
  return ensemble_->Create(FirstRunning(),
                           absl::StrCat("/dse-write-", ++writes_));
}

absl::StatusOr<int> ZooKeeperFixture::FailOver() {
  // A follower syncing with its new leader does not serve requests yet.
  return FailOverByElection(absl::Seconds(60), [&] {
    for (int i = 0; i < size(); ++i) {
      if (!stopped(i) && ensemble_->Mode(i).empty()) return false;
    }
    return true;
  });
}

}  // namespace dse::testing
