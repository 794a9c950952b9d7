#include "tests/support/redis_pair.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::StatusOr<RedisPair> RedisPair::Start(const TempDir& dir) {
  RedisPair pair;
  auto primary = RedisServer::Start(dir);
  if (!primary.ok()) return primary.status();
  pair.primary = *std::move(primary);
  auto replica = RedisServer::Start(
      dir, {"--replicaof", "127.0.0.1", std::to_string(pair.primary->port())});
  if (!replica.ok()) return replica.status();
  pair.replica = *std::move(replica);
  for (int i = 0; i < 20; ++i) {
    auto set = pair.primary->Command({"SET", absl::StrCat("key", i), "value"});
    if (!set.ok()) return set.status();
  }
  bool caught_up = WaitFor(
      [&] {
        return pair.replica->InfoField("master_link_status") == "up" &&
               pair.replica->InfoField("slave_repl_offset") ==
                   pair.primary->InfoField("master_repl_offset");
      },
      absl::Seconds(15));
  if (!caught_up)
    return absl::DeadlineExceededError("replica did not catch up");
  return pair;
}

}  // namespace dse::testing
