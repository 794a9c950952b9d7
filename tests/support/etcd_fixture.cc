#include "tests/support/etcd_fixture.h"

#include <signal.h>

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status EtcdFixture::Start(const TempDir& dir) {
  auto cluster = EtcdCluster::Start(dir);
  if (!cluster.ok()) return cluster.status();
  cluster_ = *std::move(cluster);
  stopped_.clear();
  cluster_id_ = cluster_->ClusterId(0);
  if (cluster_id_.empty()) return absl::UnavailableError("no cluster ID");
  return absl::OkStatus();
}

void EtcdFixture::Hang(int i) { cluster_->process(i).Signal(SIGSTOP); }

void EtcdFixture::Resume(int i) { cluster_->process(i).Signal(SIGCONT); }

void EtcdFixture::Stop(int i) {
  cluster_->process(i).Signal(SIGKILL);
  cluster_->process(i).Wait(absl::Seconds(10));
  stopped_.insert(i);
}

absl::Status EtcdFixture::Write() {
  int through = 0;
  while (stopped_.count(through) != 0) ++through;
  // Key "a2V5" and value "dmFsdWU=" are "key" and "value" in base64.
  return cluster_
      ->Post(through, "/v3/kv/put", R"({"key":"a2V5","value":"dmFsdWU="})")
      .status();
}

absl::StatusOr<int> EtcdFixture::FailOver() {
  const int old_leader = cluster_->Leader();
  if (old_leader < 0) return absl::FailedPreconditionError("no leader");
  Stop(old_leader);
  int new_leader = -1;
  bool elected = WaitFor(
      [&] {
        new_leader = cluster_->Leader();
        return new_leader >= 0 && new_leader != old_leader;
      },
      absl::Seconds(20));
  if (!elected) {
    return absl::DeadlineExceededError(absl::StrCat(
        "no new leader after ", cluster_->name(old_leader), " was killed"));
  }
  return new_leader;
}

}  // namespace dse::testing
