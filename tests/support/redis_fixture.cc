#include "tests/support/redis_fixture.h"

#include <signal.h>

#include <utility>

namespace dse::testing {

absl::Status RedisFixture::Start(const TempDir& dir) {
  auto pair = RedisPair::Start(dir);
  if (!pair.ok()) return pair.status();
  pair_ = *std::move(pair);
  primary_ = 0;
  return absl::OkStatus();
}

void RedisFixture::Hang(int i) { server(i).process().Signal(SIGSTOP); }

void RedisFixture::Resume(int i) { server(i).process().Signal(SIGCONT); }

absl::Status RedisFixture::Write() {
  return server(primary_)
      .Command({"SET", "written", std::string(100, 'x')})
      .status();
}

absl::StatusOr<int> RedisFixture::FailOver() {
  if (primary_ != 0) return absl::FailedPreconditionError("failed over once");
  absl::Status failed_over = pair_.FailOver();
  if (!failed_over.ok()) return failed_over;
  primary_ = 1;
  return primary_;
}

std::string RedisFixture::target_keys() const {
  return "    cluster_id: cache\n";
}

}  // namespace dse::testing
