// The kind's configuration: what a postgresql target accepts and needs.
// (Collection itself is tested against real servers in
// tests/integration/postgresql_test.cc.)
#include "collectors/postgresql/postgresql_collector.h"

#include "exporter/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::postgresql {
namespace {

using ::testing::HasSubstr;

KindRegistry Kinds() {
  KindRegistry kinds;
  kinds.Add(PostgresqlKind());
  return kinds;
}

TEST(PostgresqlKind, NeedsNoClusterIdAndPassesLibpqOptions) {
  KindRegistry kinds = Kinds();
  auto config = ParseConfig(R"(targets:
  - name: pg-a
    kind: postgresql
    address: 10.0.0.5
    username: monitor
    password_file: /run/secret
    options: {sslmode: verify-full, dbname: ops}
)",
                            "good.yml", kinds);
  ASSERT_TRUE(config.ok()) << config.status();
  const TargetConfig& target = config->targets[0];
  EXPECT_EQ(target.cluster_id, "");
  EXPECT_EQ(target.options.at("sslmode"), "verify-full");
  EXPECT_EQ(target.options.at("dbname"), "ops");
  // Building a collector does no I/O (nothing listens on 10.0.0.5 here).
  EXPECT_NE(kinds.Find("postgresql")->make(target), nullptr);
  EXPECT_EQ(kinds.Find("postgresql")->default_port, 5432);
}

TEST(PostgresqlKind, RejectsOptionsThatAreNotPassedThrough) {
  auto config = ParseConfig(
      "targets:\n  - {name: a, kind: postgresql, address: h:1, "
      "options: {host: other}}\n",
      "bad.yml", Kinds());
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(),
              HasSubstr("unknown option \"host\" for kind \"postgresql\""));
  EXPECT_THAT(config.status().message(), HasSubstr("sslmode"));
}

TEST(PostgresqlKind, SidecarUrlTakesOptionsAndNoPassword) {
  KindRegistry kinds = Kinds();
  auto target = TargetFromUrl(
      "postgresql://monitor@127.0.0.1:5433?sslmode=disable", "", kinds);
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->username, "monitor");
  EXPECT_EQ(target->address, "127.0.0.1:5433");
  EXPECT_EQ(target->options.at("sslmode"), "disable");
  EXPECT_FALSE(
      TargetFromUrl("postgresql://monitor:secret@127.0.0.1", "", kinds).ok());
}

}  // namespace
}  // namespace dse::postgresql
