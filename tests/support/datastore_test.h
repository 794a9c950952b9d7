// Test support: a GoogleTest fixture that starts a fresh topology of one
// kind (a DatastoreFixture) for every test, and exporters of it.
#ifndef DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_TEST_H_
#define DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_TEST_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/datastore_fixture.h"
#include "tests/support/exporter_process.h"

namespace dse::testing {

template <typename Fixture>
class DatastoreTest : public ::testing::Test {
 protected:
  // `names`: the target name of each node, in node order.
  explicit DatastoreTest(std::vector<std::string> names)
      : names_(std::move(names)) {}

  void SetUp() override {
    absl::Status started = topology_.Start(dir_);
    ASSERT_TRUE(started.ok())
        << "cannot start the " << topology_.kind() << " topology: " << started;
  }

  // The `targets:` list of every node, each entry ending in `more`.
  std::string Config(const std::string& more = "") const {
    return topology_.TargetsYaml(names_, more);
  }
  // An exporter of Config(more), or nullptr after failing the test.
  std::unique_ptr<ExporterProcess> StartExporter(
      const std::string& more = "") const {
    return ExporterProcess::StartOrFail(dir_, Config(more));
  }

  TempDir dir_;  // Declared first: destroyed after the topology.
  Fixture topology_;
  const std::vector<std::string> names_;
};

}  // namespace dse::testing

#endif  // DATASTORE_EXPORTER_TESTS_SUPPORT_DATASTORE_TEST_H_
