// End-to-end tests of cluster discovery (/sd) for the SQL kinds, with the
// exporter binary and real servers on free loopback ports: a PostgreSQL 15
// primary and its streaming standby, a MariaDB 10.11 primary and its GTID
// replica. What each seed finds, the labels Prometheus relabels into /probe,
// what the datastore cannot tell (a standby's port), and allowed_targets
// holding for members the datastore names (a listener records any
// connection made to a refused one).
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/support/datastore_test.h"
#include "tests/support/exporter_process.h"
#include "tests/support/fault_server.h"
#include "tests/support/mariadb_fixture.h"
#include "tests/support/postgres_fixture.h"
#include "tests/support/service_discovery.h"

namespace dse::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// The members an /sd answer lists (its one group's targets).
std::vector<std::string> Listed(const HttpResult& answer) {
  return Targets(OneGroup(answer));
}

double Refused(const ExporterProcess& exporter, const std::string& module) {
  return ValueOf(exporter.Scrape(),
                 "datastore_exporter_discovery_members_refused_total",
                 {{"module", module}});
}

class PostgresqlDiscoveryTest : public DatastoreTest<PostgresFixture> {
 protected:
  PostgresqlDiscoveryTest() : DatastoreTest({"primary", "standby"}) {}

  const std::string& primary() const { return topology_.address(0); }
  const std::string& standby() const { return topology_.address(1); }
  // Module keys: the monitoring role, then `options` (YAML lines).
  std::string Keys(const std::string& options = "") const {
    return absl::StrCat("    username: monitor\n    password_file: ",
                        topology_.password_file(), "\n", options);
  }
  std::string StandbyPort(int port) const {
    return absl::StrCat("    options:\n      standby_port: \"", port, "\"\n");
  }
};

// A standby names its primary by the address its WAL receiver is connected
// to; a primary names its standbys' hosts but not their ports, which the
// module's standby_port gives. With it, either seed finds both.
TEST_F(PostgresqlDiscoveryTest, EitherSeedFindsBothWithTheStandbysPort) {
  const int standby_port = topology_.server(1).port();
  auto exporter = ExporterProcess::StartOrFail(
      dir_,
      "modules:\n" + ModuleBlock("pg", "postgresql", {primary(), standby()},
                                 Keys(StandbyPort(standby_port))));
  ASSERT_NE(exporter, nullptr);
  for (const std::string& seed : {primary(), standby()}) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "pg", seed));
    EXPECT_THAT(group.value("targets", std::vector<std::string>()),
                UnorderedElementsAre(primary(), standby()));
    EXPECT_EQ(group["targets"][0], seed);  // The seed first.
    EXPECT_EQ(group["labels"],
              nlohmann::json({{"__param_module", "pg"},
                              {"cluster_id", topology_.cluster_id()},
                              {"kind", "postgresql"}}));
  }
  // What a relabelled scrape does with each member: /probe, up, one cluster.
  for (const std::string& member : {primary(), standby()}) {
    std::vector<Sample> samples = ParseExposition(
        HttpFetch(exporter->url("/probe?module=pg&target=" + member)).body);
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", member}}), 1);
    EXPECT_EQ(Select(samples, "datastore_info",
                     {{"cluster_id", topology_.cluster_id()}})
                  .size(),
              1u)
        << member;
  }
  EXPECT_EQ(Refused(*exporter, "pg"), 0);
}

// Without standby_port the primary names its standby at 5432, PostgreSQL's
// default port, which is not where this standby listens: from the standby
// both are found (the primary's naming of it adds a third address), from
// the primary only itself. The module allows only the real two addresses,
// so 127.0.0.1:5432 is left out, counted and logged, never asked.
TEST_F(PostgresqlDiscoveryTest, WithoutStandbyPortAPrimarySeedFindsOnlyItself) {
  ASSERT_NE(topology_.server(1).port(), 5432);
  auto exporter = ExporterProcess::StartOrFail(
      dir_, "modules:\n" + ModuleBlock("pg", "postgresql",
                                       {primary(), standby()}, Keys()));
  ASSERT_NE(exporter, nullptr);
  EXPECT_THAT(Listed(Sd(*exporter, "pg", standby())),
              ElementsAre(standby(), primary()));
  EXPECT_THAT(Listed(Sd(*exporter, "pg", primary())), ElementsAre(primary()));
  EXPECT_EQ(Refused(*exporter, "pg"), 2);
  const std::string logs = exporter->Logs();
  EXPECT_THAT(logs, HasSubstr("member=127.0.0.1:5432"));
  EXPECT_EQ(logs.find("member=127.0.0.1:5432"),
            logs.rfind("member=127.0.0.1:5432"))
      << "logged more than once";
}

// standby_port points at a listener that records connections, and the
// module allows only the primary and the standby: the address the primary
// names for its standby is left out and never connected to.
TEST_F(PostgresqlDiscoveryTest,
       NamedStandbyOutsideAllowedTargetsGetsNoConnection) {
  FaultServer listener(FaultServer::Behaviour::kNeverAnswer);
  auto exporter = ExporterProcess::StartOrFail(
      dir_,
      "modules:\n" + ModuleBlock("pg", "postgresql", {primary(), standby()},
                                 Keys(StandbyPort(listener.port()))));
  ASSERT_NE(exporter, nullptr);
  EXPECT_THAT(Listed(Sd(*exporter, "pg", standby())),
              ElementsAre(standby(), primary()));
  EXPECT_THAT(Listed(Sd(*exporter, "pg", primary())), ElementsAre(primary()));
  EXPECT_EQ(listener.connections(), 0);
  EXPECT_EQ(Refused(*exporter, "pg"), 2);
  EXPECT_THAT(exporter->Logs(), HasSubstr("member=" + listener.address()));
}

class MariaDbDiscoveryTest : public DatastoreTest<MariaDbFixture> {
 protected:
  MariaDbDiscoveryTest() : DatastoreTest({"primary", "replica"}) {}

  const std::string& primary() const { return topology_.address(0); }
  const std::string& replica() const { return topology_.address(1); }
  std::string Keys() const {
    return "    cluster_id: db\n" + topology_.Credentials();
  }
  // The replica list (SHOW SLAVE HOSTS) needs more than the scrape's grant;
  // given on the primary, it reaches the replica by replication.
  void GrantReplicaList() {
    auto granted = topology_.server(0).Query(
        "GRANT REPLICATION MASTER ADMIN ON *.* TO exporter@'127.0.0.1'");
    ASSERT_TRUE(granted.ok()) << granted.status();
    ASSERT_TRUE(topology_.server(1).CaughtUpWith(topology_.server(0)));
  }
};

// A replica names its source (Master_Host, Master_Port); a primary names
// its replicas as they registered: without report_host and report_port,
// the address of the replica's connection and its own port. Either seed
// finds both, labelled with the module's cluster_id (MariaDB has none).
TEST_F(MariaDbDiscoveryTest, EitherSeedFindsBoth) {
  GrantReplicaList();
  auto exporter = ExporterProcess::StartOrFail(
      dir_, "modules:\n" + ModuleBlock("db", "mysql", {"127.0.0.1:*"}, Keys()));
  ASSERT_NE(exporter, nullptr);
  for (const std::string& seed : {primary(), replica()}) {
    SCOPED_TRACE("seed " + seed);
    nlohmann::json group = OneGroup(Sd(*exporter, "db", seed));
    EXPECT_THAT(group.value("targets", std::vector<std::string>()),
                UnorderedElementsAre(primary(), replica()));
    EXPECT_EQ(group["targets"][0], seed);
    EXPECT_EQ(group["labels"], nlohmann::json({{"__param_module", "db"},
                                               {"cluster_id", "db"},
                                               {"kind", "mysql"}}));
  }
  for (const std::string& member : {primary(), replica()}) {
    std::vector<Sample> samples = ParseExposition(
        HttpFetch(exporter->url("/probe?module=db&target=" + member)).body);
    EXPECT_EQ(ValueOf(samples, "datastore_up", {{"target", member}}), 1)
        << member;
  }
}

// With the scrape's grant only (SLAVE MONITOR), discovery fails with the
// privilege it needs, not an incomplete list. A GRANT does not reach a
// connected session (MariaDB reads global privileges at login): the kept
// connection still lacks it until a reload opens new ones.
TEST_F(MariaDbDiscoveryTest, MissingGrantIsNamedAndTakesEffectAfterReload) {
  auto exporter = ExporterProcess::StartOrFail(
      dir_, "modules:\n" + ModuleBlock("db", "mysql", {"127.0.0.1:*"}, Keys()));
  ASSERT_NE(exporter, nullptr);
  HttpResult refused = Sd(*exporter, "db", primary());
  EXPECT_EQ(refused.status, 503);
  EXPECT_THAT(refused.body,
              HasSubstr("SHOW SLAVE HOSTS: Access denied; you need (at least "
                        "one of) the REPLICATION MASTER ADMIN privilege(s)"));
  EXPECT_THAT(refused.body,
              HasSubstr("the exporter's user needs REPLICATION MASTER ADMIN"));
  EXPECT_THAT(refused.body,
              ::testing::Not(HasSubstr(MariaDbFixture::kPassword)));

  GrantReplicaList();
  EXPECT_EQ(Sd(*exporter, "db", primary()).status, 503);
  EXPECT_EQ(HttpFetch(exporter->url("/-/reload"), "POST").status, 200);
  EXPECT_THAT(Listed(Sd(*exporter, "db", primary())),
              ElementsAre(primary(), replica()));
}

// A second replica reports the address of a listener that records
// connections (report_host, report_port): the primary names it, the module
// allows only the primary and the first replica, and the listener gets no
// connection from either seed.
TEST_F(MariaDbDiscoveryTest,
       ReportedAddressOutsideAllowedTargetsGetsNoConnection) {
  GrantReplicaList();
  FaultServer listener(FaultServer::Behaviour::kNeverAnswer);
  auto reporting =
      MariaDbServer::Start(dir_, 3,
                           {"--report-host=127.0.0.1",
                            absl::StrCat("--report-port=", listener.port())});
  ASSERT_TRUE(reporting.ok()) << reporting.status();
  ASSERT_TRUE((*reporting)->ReplicateFrom(topology_.server(0)).ok());
  ASSERT_TRUE((*reporting)->CaughtUpWith(topology_.server(0)));

  auto exporter = ExporterProcess::StartOrFail(
      dir_, "modules:\n" +
                ModuleBlock("db", "mysql", {primary(), replica()}, Keys()));
  ASSERT_NE(exporter, nullptr);
  for (const std::string& seed : {primary(), replica()}) {
    SCOPED_TRACE("seed " + seed);
    EXPECT_THAT(Listed(Sd(*exporter, "db", seed)),
                UnorderedElementsAre(primary(), replica()));
  }
  EXPECT_EQ(listener.connections(), 0);
  EXPECT_EQ(Refused(*exporter, "db"), 2);
  EXPECT_THAT(exporter->Logs(), HasSubstr("member=" + listener.address()));
}

}  // namespace
}  // namespace dse::testing
