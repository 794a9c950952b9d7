#include "collectors/redis/redis_collector.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "collectors/redis/redis_client.h"
#include "collectors/redis/redis_parse.h"

namespace dse::redis {
namespace {

class RedisCollector : public Collector {
 public:
  explicit RedisCollector(const TargetConfig& config)
      : mapping_{config.cluster_id, config.address},
        connection_(config.endpoint, config.username, config.password,
                    config.max_reply_bytes) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    auto replies = Fetch(deadline);
    if (!replies.ok()) return replies.status();
    return BuildModel(
        replies->info,
        replies->cluster_nodes ? &*replies->cluster_nodes : nullptr, mapping_);
  }

  // The same one round trip as Collect: in cluster mode the nodes of
  // CLUSTER NODES, otherwise the primary and replicas INFO names.
  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    auto replies = Fetch(deadline);
    if (!replies.ok()) return replies.status();
    return MemberAddresses(replies->info, replies->cluster_nodes
                                              ? &*replies->cluster_nodes
                                              : nullptr);
  }

 private:
  struct Replies {
    InfoFields info;
    // Absent on a standalone server (CLUSTER NODES answers an error there).
    std::optional<std::vector<ClusterNode>> cluster_nodes;
  };

  // One round trip: CLUSTER NODES is sent every time and its error reply on
  // a standalone server is simply ignored.
  absl::StatusOr<Replies> Fetch(absl::Time deadline) {
    auto replies = connection_.Pipeline(
        {{"INFO", "server", "replication", "cluster"}, {"CLUSTER", "NODES"}},
        deadline);
    if (!replies.ok()) return replies.status();
    const Reply& info_reply = (*replies)[0];
    if (info_reply.error)
      return absl::UnavailableError(absl::StrCat("INFO: ", info_reply.text));
    Replies parsed;
    auto info = ParseInfo(info_reply.text);
    if (!info.ok()) return info.status();
    parsed.info = *std::move(info);
    const Reply& nodes_reply = (*replies)[1];
    if (!nodes_reply.error) {
      auto nodes = ParseClusterNodes(nodes_reply.text);
      if (!nodes.ok()) return nodes.status();
      parsed.cluster_nodes = *std::move(nodes);
    }
    return parsed;
  }

  const MappingInput mapping_;
  Connection connection_;
};

}  // namespace

Kind RedisKind() {
  return KindOf<RedisCollector>("redis", /*native_cluster_id=*/false,
                                /*default_port=*/6379);
}

}  // namespace dse::redis
