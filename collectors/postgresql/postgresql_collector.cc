#include "collectors/postgresql/postgresql_collector.h"

#include <memory>
#include <utility>

#include "collectors/postgresql/libpq.h"
#include "collectors/postgresql/postgresql_client.h"
#include "collectors/postgresql/postgresql_parse.h"
#include "collectors/postgresql/status_sql.h"

namespace dse::postgresql {
namespace {

ConnectionSettings SettingsOf(const TargetConfig& config) {
  ConnectionSettings settings;
  settings.address = config.endpoint;
  settings.username = config.username;
  settings.password = config.password;
  settings.options = config.options;
  settings.statement_timeout = config.timeout;
  settings.max_reply_bytes = config.max_reply_bytes;
  return settings;
}

class PostgresqlCollector : public Collector {
 public:
  explicit PostgresqlCollector(const TargetConfig& config)
      : connection_(SettingsOf(config)) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    // One query, one round trip: status.sql reads everything at once (the
    // embedded text ends with a NUL).
    auto row = connection_.QueryRow(embedded::kStatusSql.data(), deadline);
    if (!row.ok()) return row.status();
    auto status = ParseStatus(*row);
    if (!status.ok()) return status.status();
    return BuildModel(*status);
  }

 private:
  Connection connection_;
};

}  // namespace

Kind PostgresqlKind() {
  Kind kind = KindOf<PostgresqlCollector>(
      "postgresql", /*native_cluster_id=*/true, /*default_port=*/5432);
  // libpq connection keywords, passed through as they are.
  kind.option_keys = {"dbname", "sslmode", "sslrootcert", "sslcert",
                      "sslkey", "sslcrl",  "passfile",    "application_name"};
  kind.load = [] { return LoadLibPq().status(); };
  return kind;
}

}  // namespace dse::postgresql
