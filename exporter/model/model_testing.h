// Helpers for unit tests of every layer and kind (linked by tests only).
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_TESTING_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_TESTING_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "exporter/model/model.h"
#include "gtest/gtest.h"

namespace dse {

// The whole content of the file at `path` (relative to the test's working
// folder). A file that cannot be read fails the test and gives "".
std::string ReadTestFile(const std::string& path);

// A recorded reply: fixtures/NAME in the kind's folder, where its unit tests
// run.
inline std::string ReadFixture(const std::string& name) {
  return ReadTestFile("fixtures/" + name);
}

// The value of a parse; a failed one fails the test (naming `what`) and
// gives T().
template <typename T>
T ExpectOk(absl::StatusOr<T> parsed, const std::string& what = "") {
  EXPECT_TRUE(parsed.ok()) << what << ": " << parsed.status();
  return parsed.ok() ? *std::move(parsed) : T();
}

// One node holding one shard: cluster "cache", node "127.0.0.1:6380",
// version "7.0.15", shard "cache" in `role` at `offset` bytes.
NodeModel OneShardModel(Role role, uint64_t offset);

// Checks that `model` holds exactly one shard, `id`, in `role`, at a commit
// offset of `offset` in `unit`; returns that shard (an empty one if none).
Shard ExpectOneShard(const NodeModel& model, const std::string& id, Role role,
                     const std::string& unit, uint64_t offset);

// Shard ID -> "role (detail) at offset", the whole of what each shard of a
// many-shard kind tells; checks that no shard has a lag and that every
// offset is in `unit`.
std::map<std::string, std::string> ShardRoles(const NodeModel& model,
                                              const std::string& unit);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_TESTING_H_
