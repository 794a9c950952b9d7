// Test support: a real Redis Cluster of primaries with one replica each, on
// free loopback ports.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_CLUSTER_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_CLUSTER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/support/process.h"
#include "tests/support/redis_server.h"

namespace dse::testing {

struct RedisCluster {
  std::vector<std::unique_ptr<RedisServer>> servers;

  // Starts 2 × `shards` cluster-mode servers under `dir`, joins them with
  // `redis-cli --cluster create --cluster-replicas 1` and waits (at most
  // 30 s) until every node says cluster_state:ok and knows every node, and
  // every replica's link is up with data received.
  static absl::StatusOr<RedisCluster> Start(const TempDir& dir, int shards = 3);
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_CLUSTER_H_
