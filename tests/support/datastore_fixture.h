// Test support: one replicated datastore topology of any kind (a primary and
// its secondaries, one shard), seen through one small interface, so that a
// property every kind must have is written once (tests/integration/
// cross_kind_test.cc) and checked against each kind.
//
// Adding a kind: one implementation of DatastoreFixture on top of the kind's
// server support (like redis_fixture.{h,cc}) and one line in
// MakeDatastoreFixture (datastore_fixture.cc).
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_FIXTURE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tests/support/process.h"

namespace dse::testing {

// Nodes are numbered 0..size()-1. Every method but Start expects a started
// topology; a node index is always in range.
class DatastoreFixture {
 public:
  virtual ~DatastoreFixture() = default;
  DatastoreFixture(const DatastoreFixture&) = delete;
  DatastoreFixture& operator=(const DatastoreFixture&) = delete;

  // The kind as the exporter's configuration names it ("redis", ...).
  virtual std::string kind() const = 0;
  // The unit label of the kind's commit offsets ("bytes", "zxid"...).
  virtual std::string offset_unit() const = 0;

  // Starts the topology with its data under `dir` (which must outlive the
  // fixture) and returns once every node serves and the secondaries have
  // caught up with the primary.
  virtual absl::Status Start(const TempDir& dir) = 0;

  virtual int size() const = 0;
  // "127.0.0.1:<port>" of node i.
  virtual std::string address(int i) const = 0;
  // The cluster ID the exporter must report for every node: the configured
  // one, or the one the datastore gives.
  virtual std::string cluster_id() const = 0;
  // The node that the datastore itself has as primary now (never asked of a
  // hung node), or -1 when there is none or more than one.
  virtual int Primary() const = 0;

  // The entry of a configuration's `targets:` list for node i, named `name`:
  // its kind, address, the kind's keys (cluster_id, credentials), then `more`
  // (further keys, each line indented by four spaces).
  std::string TargetYaml(int i, const std::string& name,
                         const std::string& more = "") const;

  // Stops (SIGSTOP) every process of node i, so that it accepts connections
  // and answers nothing; Resume sends SIGCONT.
  virtual void Hang(int i) = 0;
  virtual void Resume(int i) = 0;
  // Stops node i for good: it refuses connections from then on.
  virtual void Stop(int i) = 0;
  // One write through the current primary: its commit offset moves forward.
  virtual absl::Status Write() = 0;
  // Loses the primary the way an operator fails over (it is stopped) and
  // makes another node primary, by promoting it or by the datastore's own
  // election. Returns the new primary once the datastore itself names it.
  virtual absl::StatusOr<int> FailOver() = 0;

  // What the exporter logs about a hung node of this kind (at least one
  // line holds each), "timed out" unless a kind says more.
  virtual std::vector<std::string> hung_node_log_lines() const {
    return {"timed out"};
  }

 protected:
  DatastoreFixture() = default;
  // The kind's own keys of a target entry, each line indented by four spaces.
  virtual std::string target_keys() const = 0;
};

// The kinds MakeDatastoreFixture knows, in the order the tests list them.
std::vector<std::string> DatastoreFixtureKinds();

// A fixture of `kind`, not started; an error for a kind it does not know.
absl::StatusOr<std::unique_ptr<DatastoreFixture>> MakeDatastoreFixture(
    const std::string& kind);

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_FIXTURE_H_
