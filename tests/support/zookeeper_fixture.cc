#include "tests/support/zookeeper_fixture.h"

#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status ZooKeeperFixture::Start(const TempDir& dir) {
  auto ensemble = ZooKeeperEnsemble::Start(dir);
  if (!ensemble.ok()) return ensemble.status();
  ensemble_ = *std::move(ensemble);
  stopped_.clear();
  return absl::OkStatus();
}

void ZooKeeperFixture::Hang(int i) { ensemble_->process(i).Signal(SIGSTOP); }

void ZooKeeperFixture::Resume(int i) { ensemble_->process(i).Signal(SIGCONT); }

void ZooKeeperFixture::Stop(int i) {
  ensemble_->Kill(i);
  stopped_.insert(i);
}

absl::Status ZooKeeperFixture::Write() {
  int through = 0;
  while (stopped_.count(through) != 0) ++through;
  return ensemble_->Create(through, absl::StrCat("/dse-write-", ++writes_));
}

absl::StatusOr<int> ZooKeeperFixture::FailOver() {
  const int old_leader = ensemble_->Leader();
  if (old_leader < 0) return absl::FailedPreconditionError("no leader");
  Stop(old_leader);
  int new_leader = -1;
  bool elected = WaitFor(
      [&] {
        new_leader = ensemble_->Leader();
        if (new_leader < 0) return false;
        for (int i = 0; i < size(); ++i) {
          if (stopped_.count(i) == 0 && ensemble_->Mode(i).empty()) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(60), absl::Milliseconds(200));
  if (!elected) {
    return absl::DeadlineExceededError(
        absl::StrCat("no new leader serving with its followers after server ",
                     old_leader, " was killed"));
  }
  return new_leader;
}

std::string ZooKeeperFixture::target_keys() const {
  return absl::StrCat("    cluster_id: ", kClusterId, "\n");
}

}  // namespace dse::testing
