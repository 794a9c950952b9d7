#include "collectors/mysql/mysql_collector.h"

#include <memory>
#include <utility>

#include "collectors/mysql/libmariadb.h"
#include "collectors/mysql/mysql_client.h"
#include "collectors/mysql/mysql_parse.h"

namespace dse::mysql {
namespace {

class MySqlCollector : public Collector {
 public:
  explicit MySqlCollector(const TargetConfig& config)
      : connection_(config.endpoint, config.username, config.password,
                    config.timeout, config.max_reply_bytes) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    // The statements depend on the server's flavour and version, known from
    // its handshake; then one round trip reads everything.
    absl::Status connected = connection_.Connect(deadline);
    if (!connected.ok()) return connected;
    const Flavor flavor = FlavorOf(connection_.server_version());
    const std::vector<std::string> statements =
        ScrapeStatements(flavor, connection_.server_version());
    auto reply = connection_.Query(statements, deadline);
    if (!reply.ok()) return reply.status();
    if (reply->error_code != 0) {
      return StatementError(flavor, statements[reply->results.size()],
                            reply->error_code, reply->error_message);
    }
    auto variables = ParseVariables(reply->results[0]);
    if (!variables.ok()) return variables.status();
    auto channels = ParseReplicaStatus(reply->results[1]);
    if (!channels.ok()) return channels.status();
    return BuildModel(flavor, *variables, *channels);
  }

  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    // One round trip on the kept connection: the sources this node
    // replicates from and the replicas registered with it.
    absl::Status connected = connection_.Connect(deadline);
    if (!connected.ok()) return connected;
    const Flavor flavor = FlavorOf(connection_.server_version());
    const std::vector<std::string> statements =
        MemberStatements(flavor, connection_.server_version());
    auto reply = connection_.Query(statements, deadline);
    if (!reply.ok()) return reply.status();
    if (reply->error_code != 0) {
      return StatementError(flavor, statements[reply->results.size()],
                            reply->error_code, reply->error_message);
    }
    auto channels = ParseReplicaStatus(reply->results[0]);
    if (!channels.ok()) return channels.status();
    auto replicas = ParseReplicaHosts(reply->results[1]);
    if (!replicas.ok()) return replicas.status();
    return MemberAddresses(*channels, *replicas);
  }

 private:
  Connection connection_;
};

}  // namespace

Kind MySqlKind() {
  // MariaDB has no cluster-wide ID.
  Kind kind = KindOf<MySqlCollector>("mysql", /*native_cluster_id=*/false,
                                     /*default_port=*/3306);
  kind.load = [] { return LoadLibMariaDb().status(); };
  return kind;
}

}  // namespace dse::mysql
