#include "tests/support/rabbitmq_fixture.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::Status RabbitMqFixture::Start(const TempDir& dir) {
  auto cluster = RabbitMqCluster::Start(dir);
  if (!cluster.ok()) return cluster.status();
  cluster_ = *std::move(cluster);
  TakeAddresses(*cluster_);
  const std::string password_file = dir.path() + "/rabbitmq-password";
  if (!WriteFile(password_file,
                 absl::StrCat(cluster_->monitoring_password(), "\n"))) {
    return absl::InternalError("cannot write " + password_file);
  }
  target_keys_ =
      absl::StrCat("    username: ", RabbitMqCluster::kMonitoringUser,
                   "\n    password_file: ", password_file, "\n");
  cluster_id_ = cluster_->PermanentId(0);
  if (cluster_id_.empty()) {
    return absl::UnavailableError(
        "the prometheus plugin of rabbit1 gives no cluster permanent id");
  }
  absl::Status declared = cluster_->DeclareQueue(0, kQueue, "quorum");
  if (!declared.ok()) return declared;
  absl::Status written = Write();
  if (!written.ok()) return written;
  if (SettledCommitIndex(kQueue, 1) < 0 || Primary() < 0) {
    return absl::DeadlineExceededError(
        absl::StrCat("quorum queue ", kQueue,
                     " has no leader known to all, or members whose commit "
                     "indexes differ, after 20 s"));
  }
  return absl::OkStatus();
}

std::string RabbitMqFixture::NodeKeys(int i) const {
  return absl::StrCat("    options:\n      prometheus_port: \"",
                      cluster_->prometheus_port(i), "\"\n");
}

std::vector<int> RabbitMqFixture::Stopped() const {
  std::vector<int> nodes;
  for (int i = 0; i < size(); ++i) {
    if (stopped(i)) nodes.push_back(i);
  }
  return nodes;
}

int64_t RabbitMqFixture::SettledCommitIndex(const std::string& queue,
                                            int64_t at_least) const {
  int64_t settled = -1;
  WaitFor(
      [&] {
        settled = -1;
        for (int i = 0; i < size(); ++i) {
          if (stopped(i)) continue;
          const int64_t index = cluster_->CommitIndexOn(i, queue);
          if (index < at_least || (settled >= 0 && index != settled)) {
            settled = -1;
            return false;
          }
          settled = index;
        }
        return true;
      },
      absl::Seconds(20), absl::Milliseconds(250));
  return settled;
}

int RabbitMqFixture::Primary() const {
  return cluster_->Leader(kQueue, Stopped());
}

absl::Status RabbitMqFixture::Write() {
  return cluster_->Publish(FirstRunning(), kQueue);
}

}  // namespace dse::testing
