// Test support: one replicated datastore topology of any kind (a primary and
// its secondaries, one shard), seen through one small interface, so that a
// property every kind must have is written once (tests/integration/
// cross_kind_test.cc) and checked against each kind.
//
// Adding a kind: one implementation of DatastoreFixture on top of the kind's
// server support (like redis_fixture.{h,cc}) and one line in kFixtures
// (datastore_fixture.cc); cross_kind_test.cc then runs against it too.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_FIXTURE_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_FIXTURE_H_

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/support/process.h"

namespace dse::testing {

// Nodes are numbered 0..size()-1. A fixture is started once; every method
// but Start expects it started, and a node index in range.
class DatastoreFixture {
 public:
  virtual ~DatastoreFixture() = default;
  DatastoreFixture(const DatastoreFixture&) = delete;
  DatastoreFixture& operator=(const DatastoreFixture&) = delete;

  // The kind as the exporter's configuration names it ("redis", ...).
  const std::string& kind() const { return traits_.kind; }
  // The unit label of the kind's commit offsets ("bytes", "zxid"...).
  const std::string& offset_unit() const { return traits_.offset_unit; }
  // What the exporter logs about a hung node of this kind (at least one
  // line holds each).
  const std::vector<std::string>& hung_node_log_lines() const {
    return traits_.hung_node_log_lines;
  }

  // Starts the topology with its data under `dir` (which must outlive the
  // fixture) and returns once every node serves and the secondaries have
  // caught up with the primary.
  virtual absl::Status Start(const TempDir& dir) = 0;

  int size() const { return static_cast<int>(addresses_.size()); }
  // "127.0.0.1:<port>" of node i.
  const std::string& address(int i) const { return addresses_[i]; }
  // The cluster ID the exporter must report for every node: the configured
  // one, or the one the datastore gives.
  const std::string& cluster_id() const { return cluster_id_; }
  // The node that is primary now, or -1 when there is none or more than
  // one. Kinds that elect their primary ask the datastore (never a hung
  // node); the others know whom they promoted.
  virtual int Primary() const { return primary_; }

  // The entry of a configuration's `targets:` list for node i, named `name`:
  // its kind, address, the kind's keys (cluster_id, credentials), node i's
  // own keys, then `more` (further keys, each line indented by four spaces).
  std::string TargetYaml(int i, const std::string& name,
                         const std::string& more = "") const;
  // A whole `targets:` list: TargetYaml(i, names[i], more) for every node.
  std::string TargetsYaml(const std::vector<std::string>& names,
                          const std::string& more = "") const;

  // Stops (SIGSTOP) every process of node i, so that it accepts connections
  // and answers nothing; Resume sends SIGCONT.
  void Hang(int i);
  void Resume(int i);
  // Stops node i for good: it refuses connections from then on.
  void Stop(int i);
  // One write through the current primary: its commit offset moves forward.
  virtual absl::Status Write() = 0;
  // Loses the primary the way an operator fails over (it is stopped) and
  // makes another node primary, by promoting it or by the datastore's own
  // election. Returns the new primary once the datastore itself names it.
  virtual absl::StatusOr<int> FailOver() = 0;

 protected:
  struct Traits {
    std::string kind;
    std::string offset_unit;
    std::vector<std::string> hung_node_log_lines = {"timed out"};
  };
  explicit DatastoreFixture(Traits traits) : traits_(std::move(traits)) {}

  // Keys of node i's target entry alone (a port of its own), each line
  // indented by four spaces; none by default.
  virtual std::string NodeKeys(int /*i*/) const { return ""; }
  // Sends `signal` to every process of node i.
  virtual void Signal(int i, int signal) = 0;
  // Stops node i (Stop records that it did).
  virtual void StopNode(int i) = 0;

  bool stopped(int i) const { return stopped_.count(i) != 0; }
  // The first node not stopped.
  int FirstRunning() const;
  // For kinds whose nodes elect their primary: stops the primary and waits
  // up to `timeout` until another node is primary and `ready` holds.
  absl::StatusOr<int> FailOverByElection(
      absl::Duration timeout,
      const std::function<bool()>& ready = [] { return true; });

  // For kinds that do not elect their primary: stops the primary, runs
  // `promote` (which makes node `next` primary) and returns `next`.
  absl::StatusOr<int> FailOverByPromotion(
      int next, const std::function<absl::Status()>& promote);

  // Sets addresses_ from a cluster's size() and address(i).
  template <typename Cluster>
  void TakeAddresses(const Cluster& cluster) {
    addresses_.clear();
    for (int i = 0; i < cluster.size(); ++i) {
      addresses_.push_back(cluster.address(i));
    }
  }

  // Set by Start.
  std::vector<std::string> addresses_;
  std::string cluster_id_;
  // The kind's own keys of a target entry, each line indented by four
  // spaces.
  std::string target_keys_;
  // For kinds that do not elect their primary: the node they made primary.
  int primary_ = 0;

 private:
  Traits traits_;
  std::set<int> stopped_;
};

// The kinds MakeDatastoreFixture knows, in the order the tests list them.
std::vector<std::string> DatastoreFixtureKinds();

// A fixture of `kind`, not started; an error for a kind it does not know.
absl::StatusOr<std::unique_ptr<DatastoreFixture>> MakeDatastoreFixture(
    const std::string& kind);

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_FIXTURE_H_
