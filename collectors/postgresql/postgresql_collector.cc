#include "collectors/postgresql/postgresql_collector.h"

#include <memory>
#include <utility>

#include "collectors/postgresql/libpq.h"
#include "collectors/postgresql/postgresql_client.h"
#include "collectors/postgresql/postgresql_parse.h"
#include "collectors/postgresql/status_sql.h"

namespace dse::postgresql {
namespace {

constexpr int kDefaultPort = 5432;

class PostgresqlCollector : public Collector {
 public:
  explicit PostgresqlCollector(ConnectionSettings settings)
      : connection_(std::move(settings)) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    // One query, one round trip: status.sql reads everything at once.
    auto row = connection_.QueryRow(kStatusSql, deadline);
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
  Kind kind;
  kind.name = "postgresql";
  kind.native_cluster_id = true;
  kind.default_port = kDefaultPort;
  // libpq connection keywords, passed through as they are.
  kind.option_keys = {"dbname", "sslmode", "sslrootcert", "sslcert",
                      "sslkey", "sslcrl",  "passfile",    "application_name"};
  kind.load = [] { return LoadLibPq().status(); };
  kind.make = [](const TargetConfig& config) -> std::unique_ptr<Collector> {
    ConnectionSettings settings;
    settings.address = config.endpoint;
    settings.username = config.username;
    settings.password = config.password;
    settings.options = config.options;
    settings.statement_timeout = config.timeout;
    settings.max_reply_bytes = config.max_reply_bytes;
    return std::make_unique<PostgresqlCollector>(std::move(settings));
  };
  return kind;
}

}  // namespace dse::postgresql
