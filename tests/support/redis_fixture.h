// Test support: a Redis primary and its replica (RedisPair) as a
// DatastoreFixture.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_FIXTURE_H_

#include "tests/support/datastore_fixture.h"
#include "tests/support/redis_pair.h"

namespace dse::testing {

// Node 0 starts as the primary, node 1 as its replica. Redis has no cluster
// ID of its own: the targets are configured with "cache".
class RedisFixture : public DatastoreFixture {
 public:
  RedisFixture() : DatastoreFixture({"redis", "bytes"}) {}
  absl::Status Start(const TempDir& dir) override;
  absl::Status Write() override;
  // Stops the primary and promotes the replica (REPLICAOF NO ONE).
  absl::StatusOr<int> FailOver() override;

  RedisServer& server(int i) const {
    return i == 0 ? *pair_.primary : *pair_.replica;
  }

 protected:
  void Signal(int i, int signal) override;
  void StopNode(int i) override { server(i).process().Stop(); }

 private:
  RedisPair pair_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_FIXTURE_H_
