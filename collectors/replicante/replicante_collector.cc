#include "collectors/replicante/replicante_collector.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "collectors/libcurl/libcurl.h"
#include "collectors/replicante/replicante_client.h"
#include "collectors/replicante/replicante_mapping.h"

namespace dse::replicante {
namespace {

class ReplicanteCollector : public Collector {
 public:
  explicit ReplicanteCollector(const TargetConfig& config)
      : endpoint_(EndpointFromConfig(config)),
        client_(config.username, config.password,
                endpoint_.ok() ? endpoint_->ca_file : "",
                config.max_reply_bytes) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    if (!endpoint_.ok()) return endpoint_.status();
    auto info = Get(kInfoPath, deadline);
    if (!info.ok()) return info.status();
    auto shards = Get(kShardsPath, deadline);
    if (!shards.ok()) return shards.status();
    return BuildModel(*info, *shards);
  }

 private:
  absl::StatusOr<std::string> Get(const char* path, absl::Time deadline) {
    auto body = client_.Get(AgentUrl(*endpoint_, path), deadline);
    if (!body.ok()) {
      return absl::Status(
          body.status().code(),
          absl::StrCat("GET ", path, ": ", body.status().message()));
    }
    return body;
  }

  // The options were checked when the target was loaded (kind.validate).
  const absl::StatusOr<AgentEndpoint> endpoint_;
  AgentClient client_;
};

}  // namespace

Kind ReplicanteKind() {
  // The API gives cluster_id; agents listen on various ports: give one.
  Kind kind = KindOf<ReplicanteCollector>(
      "replicante", /*native_cluster_id=*/true, /*default_port=*/0);
  kind.option_keys = {"target", "scheme", "ca_file"};
  kind.validate = [](const TargetConfig& config) {
    return EndpointFromConfig(config).status();
  };
  kind.load = [] { return LoadLibCurl().status(); };
  return kind;
}

}  // namespace dse::replicante
