// Test support: a Redis primary and its replica (RedisPair) as a
// DatastoreFixture.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_FIXTURE_H_

#include <string>

#include "tests/support/datastore_fixture.h"
#include "tests/support/redis_pair.h"

namespace dse::testing {

// Node 0 starts as the primary, node 1 as its replica; Redis has no cluster
// ID of its own, so the targets are configured with "cache".
class RedisFixture : public DatastoreFixture {
 public:
  std::string kind() const override { return "redis"; }
  std::string offset_unit() const override { return "bytes"; }
  absl::Status Start(const TempDir& dir) override;
  int size() const override { return 2; }
  std::string address(int i) const override { return server(i).address(); }
  std::string cluster_id() const override { return "cache"; }
  int Primary() const override { return primary_; }
  void Hang(int i) override;
  void Resume(int i) override;
  void Stop(int i) override { server(i).process().Stop(); }
  absl::Status Write() override;
  absl::StatusOr<int> FailOver() override;

  RedisServer& server(int i) const {
    return i == 0 ? *pair_.primary : *pair_.replica;
  }

 protected:
  std::string target_keys() const override;

 private:
  RedisPair pair_;
  int primary_ = 0;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_REDIS_FIXTURE_H_
