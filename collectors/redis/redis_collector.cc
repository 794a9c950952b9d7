#include "collectors/redis/redis_collector.h"

#include <memory>
#include <optional>
#include <utility>

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
    // One round trip: CLUSTER NODES is sent on every scrape and its error
    // reply on a standalone server is simply ignored.
    auto replies = connection_.Pipeline(
        {{"INFO", "server", "replication", "cluster"}, {"CLUSTER", "NODES"}},
        deadline);
    if (!replies.ok()) return replies.status();
    const Reply& info_reply = (*replies)[0];
    if (info_reply.error)
      return absl::UnavailableError(absl::StrCat("INFO: ", info_reply.text));
    auto info = ParseInfo(info_reply.text);
    if (!info.ok()) return info.status();

    std::optional<std::vector<ClusterNode>> nodes;
    const Reply& nodes_reply = (*replies)[1];
    if (!nodes_reply.error) {
      auto parsed = ParseClusterNodes(nodes_reply.text);
      if (!parsed.ok()) return parsed.status();
      nodes = *std::move(parsed);
    }
    return BuildModel(*info, nodes ? &*nodes : nullptr, mapping_);
  }

 private:
  const MappingInput mapping_;
  Connection connection_;
};

}  // namespace

Kind RedisKind() {
  return KindOf<RedisCollector>("redis", /*native_cluster_id=*/false,
                                /*default_port=*/6379);
}

}  // namespace dse::redis
