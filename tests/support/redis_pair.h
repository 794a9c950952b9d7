// Test support: a Redis primary and its caught-up replica on free loopback
// ports, as most model tests need.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_PAIR_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_PAIR_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace dse::testing {

struct RedisPair {
  std::unique_ptr<RedisServer> primary;
  std::unique_ptr<RedisServer> replica;

  // Starts both under `dir`, writes a few keys and waits (at most 15 s) until
  // the replica's offset equals the primary's.
  static absl::StatusOr<RedisPair> Start(const TempDir& dir);
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_PAIR_H_
