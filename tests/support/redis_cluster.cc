#include "tests/support/redis_cluster.h"

#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace dse::testing {

absl::StatusOr<RedisCluster> RedisCluster::Start(const TempDir& dir,
                                                 int shards) {
  RedisCluster cluster;
  const std::string cli = FindProgram("redis-cli");
  if (cli.empty()) return absl::NotFoundError("redis-cli is not installed");
  std::vector<std::string> create = {cli, "--cluster", "create"};
  for (int i = 0; i < 2 * shards; ++i) {
    auto server = RedisServer::Start(dir, {}, /*cluster=*/true);
    if (!server.ok()) return server.status();
    create.push_back((*server)->address());
    cluster.servers.push_back(*std::move(server));
  }
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  CommandResult made = RunCommand(create, absl::Seconds(60));
  if (made.exit_code != 0) {
    return absl::UnavailableError(
        absl::StrCat("redis-cli --cluster create failed: ", made.output));
  }
  const std::string known =
      absl::StrCat("cluster_known_nodes:", cluster.servers.size());
  bool settled = WaitFor(
      [&] {
        for (const auto& server : cluster.servers) {
          if (server->InfoField("role") == "slave" &&
              (server->InfoField("master_link_status") != "up" ||
               server->InfoField("slave_repl_offset") == "0")) {
            return false;
          }
          auto info = server->Command({"CLUSTER", "INFO"});
          if (!info.ok() || !absl::StrContains(*info, "cluster_state:ok") ||
              !absl::StrContains(*info, known)) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(30));
  if (!settled) return absl::DeadlineExceededError("cluster did not settle");
  return cluster;
}

}  // namespace dse::testing
