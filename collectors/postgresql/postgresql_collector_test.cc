// The kind's configuration: what a postgresql target accepts and needs.
// (Collection itself is tested against real servers in
// tests/integration/postgresql_test.cc.)
#include "collectors/postgresql/postgresql_collector.h"

#include <string>

#include "exporter/model/target.h"
#include "gtest/gtest.h"

namespace dse::postgresql {
namespace {

bool Takes(const Kind& kind, const std::string& option) {
  for (const std::string& key : kind.option_keys) {
    if (key == option) return true;
  }
  return false;
}

TEST(PostgresqlKind, NeedsNoClusterIdAndPassesLibpqOptions) {
  const Kind kind = PostgresqlKind();
  EXPECT_TRUE(kind.native_cluster_id);
  EXPECT_EQ(kind.default_port, 5432);
  EXPECT_TRUE(Takes(kind, "sslmode"));
  EXPECT_TRUE(Takes(kind, "dbname"));
  TargetConfig target;
  target.name = "pg-a";
  target.kind = "postgresql";
  target.address = "10.0.0.5";
  target.endpoint = ParseHostPort(target.address, kind.default_port).value();
  target.username = "monitor";
  target.password.file = "/run/secret";
  target.options = {{"sslmode", "verify-full"}, {"dbname", "ops"}};
  if (kind.validate) {
    EXPECT_TRUE(kind.validate(target).ok());
  }
  // Building a collector does no I/O (nothing listens on 10.0.0.5 here).
  EXPECT_NE(kind.make(target), nullptr);
}

TEST(PostgresqlKind, TakesNoOptionThatNamesAnotherServerOrUser) {
  const Kind kind = PostgresqlKind();
  for (const char* option :
       {"host", "hostaddr", "port", "user", "password", "service"}) {
    EXPECT_FALSE(Takes(kind, option)) << option;
  }
}

}  // namespace
}  // namespace dse::postgresql
