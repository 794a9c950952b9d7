#include "collectors/postgresql/postgresql_collector.h"

#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "collectors/postgresql/libpq.h"
#include "collectors/postgresql/members_sql.h"
#include "collectors/postgresql/postgresql_client.h"
#include "collectors/postgresql/postgresql_parse.h"
#include "collectors/postgresql/status_sql.h"

namespace dse::postgresql {
namespace {

// The option that is ours, not a libpq keyword: the port discovery lists
// for the standbys a primary names (PostgreSQL does not tell it).
constexpr char kStandbyPortOption[] = "standby_port";
constexpr int kDefaultPort = 5432;

absl::StatusOr<int> StandbyPort(const TargetConfig& config) {
  auto it = config.options.find(kStandbyPortOption);
  if (it == config.options.end()) return kDefaultPort;
  int port = 0;
  if (!absl::SimpleAtoi(it->second, &port) || port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "option \"", kStandbyPortOption,
        "\": expected a port from 1 to 65535, got \"", it->second, "\""));
  }
  return port;
}

ConnectionSettings SettingsOf(const TargetConfig& config) {
  ConnectionSettings settings;
  settings.address = config.endpoint;
  settings.username = config.username;
  settings.password = config.password;
  settings.options = config.options;
  settings.options.erase(kStandbyPortOption);
  settings.statement_timeout = config.timeout;
  settings.max_reply_bytes = config.max_reply_bytes;
  return settings;
}

class PostgresqlCollector : public Collector {
 public:
  // The option values were checked when the target was loaded
  // (kind.validate).
  explicit PostgresqlCollector(const TargetConfig& config)
      : connection_(SettingsOf(config)),
        standby_port_(StandbyPort(config).value_or(kDefaultPort)) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    // One query, one round trip: status.sql reads everything at once (the
    // embedded text ends with a NUL).
    auto row = connection_.QueryRow(embedded::kStatusSql.data(), deadline);
    if (!row.ok()) return row.status();
    auto status = ParseStatus(*row);
    if (!status.ok()) return status.status();
    return BuildModel(*status);
  }

  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    // One query on the kept connection: members.sql reads both directions.
    auto row = connection_.QueryRow(embedded::kMembersSql.data(), deadline);
    if (!row.ok()) return row.status();
    auto report = ParseMemberReport(*row);
    if (!report.ok()) return report.status();
    std::vector<HostPort> configured_upstream;
    if (!report->sender_host && report->primary_conninfo) {
      // A standby whose WAL receiver is not connected (its primary may be
      // down) still names where it would stream from. A string libpq cannot
      // parse connects nowhere, so it names nobody.
      auto keywords = ConninfoAddressKeywords(*report->primary_conninfo);
      if (keywords.ok()) configured_upstream = ConninfoServers(*keywords);
    }
    return MemberAddresses(*report, configured_upstream, standby_port_);
  }

 private:
  Connection connection_;
  const int standby_port_;
};

}  // namespace

Kind PostgresqlKind() {
  Kind kind = KindOf<PostgresqlCollector>(
      "postgresql", /*native_cluster_id=*/true, /*default_port=*/kDefaultPort);
  // libpq connection keywords, passed through as they are, and ours.
  kind.option_keys = {"dbname",   "sslmode",          "sslrootcert",
                      "sslcert",  "sslkey",           "sslcrl",
                      "passfile", "application_name", kStandbyPortOption};
  kind.validate = [](const TargetConfig& config) {
    return StandbyPort(config).status();
  };
  kind.load = [] { return LoadLibPq().status(); };
  return kind;
}

}  // namespace dse::postgresql
