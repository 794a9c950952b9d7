#include "tests/support/datastore_fixture.h"

#include <signal.h>

#include "absl/strings/str_cat.h"
#include "tests/support/etcd_fixture.h"
#include "tests/support/exporter_process.h"
#include "tests/support/mariadb_fixture.h"
#include "tests/support/nats_fixture.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/rabbitmq_fixture.h"
#include "tests/support/redis_fixture.h"
#include "tests/support/zookeeper_fixture.h"

namespace dse::testing {
namespace {

template <typename Fixture>
std::unique_ptr<DatastoreFixture> Make() {
  return std::make_unique<Fixture>();
}

struct Registration {
  const char* kind;
  std::unique_ptr<DatastoreFixture> (*make)();
};

// One line per kind, in the order the tests list them.
constexpr Registration kFixtures[] = {
    {"redis", &Make<RedisFixture>},          // redis_fixture.h
    {"postgresql", &Make<PostgresFixture>},  // postgres_fixture.h
    {"mysql", &Make<MariaDbFixture>},        // mariadb_fixture.h
    {"zookeeper", &Make<ZooKeeperFixture>},  // zookeeper_fixture.h
    {"etcd", &Make<EtcdFixture>},            // etcd_fixture.h
    {"nats", &Make<NatsFixture>},            // nats_fixture.h
    {"rabbitmq", &Make<RabbitMqFixture>},    // rabbitmq_fixture.h
};

}  // namespace

std::string DatastoreFixture::TargetYaml(int i, const std::string& name,
                                         const std::string& more) const {
  return TargetBlock(name, kind(), address(i),
                     target_keys_ + NodeKeys(i) + more);
}

std::string DatastoreFixture::TargetsYaml(const std::vector<std::string>& names,
                                          const std::string& more) const {
  std::string yaml = "targets:\n";
  for (int i = 0; i < size(); ++i) {
    absl::StrAppend(&yaml, TargetYaml(i, names[i], more));
  }
  return yaml;
}

void DatastoreFixture::Hang(int i) { Signal(i, SIGSTOP); }

void DatastoreFixture::Resume(int i) { Signal(i, SIGCONT); }

void DatastoreFixture::Stop(int i) {
  StopNode(i);
  stopped_.insert(i);
}

int DatastoreFixture::FirstRunning() const {
  int node = 0;
  while (stopped(node)) ++node;
  return node;
}

absl::StatusOr<int> DatastoreFixture::FailOverByElection(
    absl::Duration timeout, const std::function<bool()>& ready) {
  const int old_primary = Primary();
  if (old_primary < 0) return absl::FailedPreconditionError("no primary");
  Stop(old_primary);
  int new_primary = -1;
  bool elected = WaitFor(
      [&] {
        new_primary = Primary();
        return new_primary >= 0 && new_primary != old_primary && ready();
      },
      timeout, absl::Milliseconds(200));
  if (!elected) {
    return absl::DeadlineExceededError(absl::StrCat(
        "no new ", kind(), " primary within ", absl::FormatDuration(timeout),
        " after node ", old_primary, " was stopped"));
  }
  return new_primary;
}

absl::StatusOr<int> DatastoreFixture::FailOverByPromotion(
    int next, const std::function<absl::Status()>& promote) {
  if (next == primary_) {
    return absl::FailedPreconditionError(
        absl::StrCat("node ", next, " is primary already"));
  }
  Stop(primary_);
  absl::Status promoted = promote();
  if (!promoted.ok()) return promoted;
  primary_ = next;
  return next;
}

std::vector<std::string> DatastoreFixtureKinds() {
  std::vector<std::string> kinds;
  for (const Registration& each : kFixtures) kinds.push_back(each.kind);
  return kinds;
}

absl::StatusOr<std::unique_ptr<DatastoreFixture>> MakeDatastoreFixture(
    const std::string& kind) {
  for (const Registration& each : kFixtures) {
    if (kind == each.kind) return each.make();
  }
  return absl::NotFoundError(
      absl::StrCat("no datastore fixture for kind \"", kind, "\""));
}

}  // namespace dse::testing
