#include "collectors/zookeeper/zookeeper_collector.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "collectors/zookeeper/zookeeper_client.h"
#include "collectors/zookeeper/zookeeper_parse.h"

namespace dse::zookeeper {
namespace {

class ZooKeeperCollector : public Collector {
 public:
  explicit ZooKeeperCollector(const TargetConfig& config)
      : address_(config.endpoint),
        max_reply_bytes_(config.max_reply_bytes),
        shard_id_(config.cluster_id),
        // A configured node name replaces whatever the server says, so the
        // server id is asked for only when none is configured.
        ask_server_id_(config.node.empty()) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    auto srvr =
        SendFourLetterWord(address_, "srvr", max_reply_bytes_, deadline);
    if (!srvr.ok()) return srvr.status();
    auto status = ParseSrvr(*srvr);
    if (!status.ok()) return status.status();

    MappingInput input{shard_id_, ""};
    if (ask_server_id_) {
      auto conf =
          SendFourLetterWord(address_, "conf", max_reply_bytes_, deadline);
      if (!conf.ok()) return conf.status();
      auto server_id = ParseConfServerId(*conf);
      if (!server_id.ok()) return server_id.status();
      // Without conf in the whitelist the node name stays empty and the
      // exporter uses the target's name.
      if (server_id->has_value()) input.node = **server_id;
    }
    return BuildModel(*status, input);
  }

  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    auto conf =
        SendFourLetterWord(address_, "conf", max_reply_bytes_, deadline);
    if (!conf.ok()) return conf.status();
    return ParseConfMembers(*conf, address_.port);
  }

 private:
  const HostPort address_;
  const size_t max_reply_bytes_;
  const std::string shard_id_;
  const bool ask_server_id_;
};

}  // namespace

Kind ZooKeeperKind() {
  return KindOf<ZooKeeperCollector>("zookeeper", /*native_cluster_id=*/false,
                                    /*default_port=*/2181);
}

}  // namespace dse::zookeeper
