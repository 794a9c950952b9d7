#include "tests/support/nats_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status NatsFixture::Start(const TempDir& dir) {
  auto cluster = NatsCluster::Start(dir);
  if (!cluster.ok()) return cluster.status();
  cluster_ = *std::move(cluster);
  TakeAddresses(*cluster_);
  cluster_id_ = NatsCluster::kName;  // The cluster's name, from the server.
  absl::Status created = cluster_->CreateStream(0, kStream, /*replicas=*/3);
  if (!created.ok()) return created;
  absl::Status written = Write();
  if (!written.ok()) return written;
  const bool ready = WaitFor(
      [&] {
        for (int i = 0; i < size(); ++i) {
          if (cluster_->LastSequenceOn(i, kStream) != 1) return false;
        }
        return Primary() >= 0;
      },
      absl::Seconds(20), absl::Milliseconds(100));
  if (!ready) {
    return absl::DeadlineExceededError(
        absl::StrCat("stream ", kStream,
                     " has no leader known to all, or a replica "
                     "without its first message, after 20 s"));
  }
  return absl::OkStatus();
}

std::vector<int> NatsFixture::Stopped() const {
  std::vector<int> nodes;
  for (int i = 0; i < size(); ++i) {
    if (stopped(i)) nodes.push_back(i);
  }
  return nodes;
}

int NatsFixture::Primary() const {
  return cluster_->StreamLeader(kStream, Stopped());
}

absl::Status NatsFixture::Write() {
  return cluster_->Publish(FirstRunning(), absl::StrCat(kStream, ".new"))
      .status();
}

absl::StatusOr<int> NatsFixture::FailOver() {
  // Primary() is a leader every survivor names (nats-server keeps naming
  // the dead one for seconds, then none during the election).
  return FailOverByElection(absl::Seconds(30));
}

}  // namespace dse::testing
