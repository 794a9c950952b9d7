#include "tests/support/redis_fixture.h"

#include <utility>

namespace dse::testing {

absl::Status RedisFixture::Start(const TempDir& dir) {
  auto pair = RedisPair::Start(dir);
  if (!pair.ok()) return pair.status();
  pair_ = *std::move(pair);
  addresses_ = {server(0).address(), server(1).address()};
  cluster_id_ = "cache";
  target_keys_ = "    cluster_id: cache\n";
  return absl::OkStatus();
}

void RedisFixture::Signal(int i, int signal) {
  server(i).process().Signal(signal);
}

absl::Status RedisFixture::Write() {
  return server(primary_)
      .Command({"SET", "written", std::string(100, 'x')})
      .status();
}

absl::StatusOr<int> RedisFixture::FailOver() {
  return FailOverByPromotion(1, [&] {
    return server(1).Command({"REPLICAOF", "NO", "ONE"}).status();
  });
}

}  // namespace dse::testing
