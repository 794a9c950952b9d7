// The kind's configuration: what a postgresql target accepts and needs; and
// libpq's reading of a recorded primary_conninfo (libpq is loaded, no server
// is needed). Collection itself is tested against real servers in
// tests/integration/postgresql_test.cc, discovery in sql_discovery_test.cc.
#include "collectors/postgresql/postgresql_collector.h"

#include <map>
#include <string>

#include "collectors/postgresql/postgresql_client.h"
#include "collectors/postgresql/postgresql_parse.h"
#include "exporter/model/model_testing.h"
#include "exporter/model/target.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace dse::postgresql {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

TEST(PostgresqlKind, StandbyPortIsAPortAndNoLibpqKeyword) {
  const Kind kind = PostgresqlKind();
  ASSERT_TRUE(kind.validate);
  TargetConfig target;
  target.endpoint = {"10.0.0.5", 5432};
  target.options = {{"standby_port", "5433"}};
  EXPECT_TRUE(kind.validate(target).ok());
  for (const char* bad : {"0", "65536", "x", "", "-1"}) {
    target.options = {{"standby_port", bad}};
    absl::Status status = kind.validate(target);
    EXPECT_THAT(status.message(), HasSubstr("option \"standby_port\": "
                                            "expected a port from 1 to 65535"))
        << bad;
  }
}

TEST(ConninfoAddressKeywords, ReadsWhatPgBasebackupWrote) {
  // primary_conninfo as recorded from a standby made by pg_basebackup -R.
  Row row = ExpectOk(ParseRecordedRow(
      ReadFixture("members_15.20_standby_primary_stopped.txt")));
  auto keywords = ConninfoAddressKeywords(row.at("primary_conninfo").value());
  ASSERT_TRUE(keywords.ok()) << keywords.status();
  EXPECT_EQ(*keywords, (std::map<std::string, std::string>{
                           {"host", "127.0.0.1"}, {"port", "56915"}}));
}

TEST(ConninfoAddressKeywords, TakesUrisAndKeepsNoPassword) {
  auto keywords = ConninfoAddressKeywords(
      "postgresql://repl:Secret-9f2@pg-a.example:5433,[::1]:5434/postgres");
  ASSERT_TRUE(keywords.ok()) << keywords.status();
  EXPECT_EQ(*keywords,
            (std::map<std::string, std::string>{{"host", "pg-a.example,::1"},
                                                {"port", "5433,5434"}}));
  keywords = ConninfoAddressKeywords(
      "host=10.0.0.5 hostaddr=10.0.0.5 password='Secret-9f2' user=repl");
  ASSERT_TRUE(keywords.ok()) << keywords.status();
  EXPECT_EQ(keywords->size(), 2u);
  EXPECT_EQ(keywords->count("password"), 0u);
}

TEST(ConninfoAddressKeywords, AnUnparsableStringIsNotQuoted) {
  auto keywords =
      ConninfoAddressKeywords("host=10.0.0.5 password=Secret-9f2 bogus");
  ASSERT_FALSE(keywords.ok());
  EXPECT_THAT(keywords.status().message(), Not(HasSubstr("Secret")));
  EXPECT_THAT(keywords.status().message(), HasSubstr("primary_conninfo"));
}

}  // namespace
}  // namespace dse::postgresql
