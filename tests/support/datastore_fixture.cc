#include "tests/support/datastore_fixture.h"

#include "absl/strings/str_cat.h"
#include "tests/support/etcd_fixture.h"
#include "tests/support/exporter_process.h"
#include "tests/support/mariadb_fixture.h"
#include "tests/support/postgres_fixture.h"
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

// One line per kind.
constexpr Registration kFixtures[] = {
    {"redis", &Make<RedisFixture>},   {"postgresql", &Make<PostgresFixture>},
    {"mysql", &Make<MariaDbFixture>}, {"zookeeper", &Make<ZooKeeperFixture>},
    {"etcd", &Make<EtcdFixture>},
};

}  // namespace

std::string DatastoreFixture::TargetYaml(int i, const std::string& name,
                                         const std::string& more) const {
  return TargetBlock(name, kind(), address(i), target_keys() + more);
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
