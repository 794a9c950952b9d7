#include "tests/support/etcd_fixture.h"

#include <signal.h>

#include <utility>

namespace dse::testing {

absl::Status EtcdFixture::Start(const TempDir& dir) {
  auto cluster = EtcdCluster::Start(dir);
  if (!cluster.ok()) return cluster.status();
  cluster_ = *std::move(cluster);
  TakeAddresses(*cluster_);
  cluster_id_ = cluster_->ClusterId(0);
  if (cluster_id_.empty()) return absl::UnavailableError("no etcd cluster ID");
  return absl::OkStatus();
}

void EtcdFixture::StopNode(int i) {
  cluster_->process(i).Signal(SIGKILL);
  cluster_->process(i).Wait(absl::Seconds(10));
}

absl::Status EtcdFixture::Write() {
  // Key "a2V5" and value "dmFsdWU=" are "key" and "value" in base64.
  return cluster_
      ->Post(FirstRunning(), "/v3/kv/put",
             R"({"key":"a2V5","value":"dmFsdWU="})")
      .status();
}

}  // namespace dse::testing
