#include "collectors/nats/nats_collector.h"

#include "collectors/libcurl/libcurl.h"
#include "collectors/nats/nats_client.h"
#include "collectors/nats/nats_parse.h"

namespace dse::nats {
namespace {

constexpr absl::string_view kVarzPath = "/varz";
// streams=true implies accounts=true in 2.9; both are written so that the
// request says what it reads. No consumers, no config: the model needs
// neither (README.md).
constexpr absl::string_view kJszPath = "/jsz?accounts=true&streams=true";

class NatsCollector : public Collector {
 public:
  explicit NatsCollector(const TargetConfig& config)
      : client_(config.endpoint, config.max_reply_bytes),
        monitor_port_(config.endpoint.port) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    // /jsz names no server, only its server_id (new at every restart): the
    // server name that stream leaders are compared with comes from /varz,
    // asked every time so that a restart under another name is seen at once.
    auto varz_reply = client_.Get(kVarzPath, deadline);
    if (!varz_reply.ok()) return varz_reply.status();
    auto server = ParseVarz(*varz_reply);
    if (!server.ok()) return server.status();
    auto jsz_reply = client_.Get(kJszPath, deadline);
    if (!jsz_reply.ok()) return jsz_reply.status();
    auto streams = ParseJsz(*jsz_reply);
    if (!streams.ok()) return streams.status();
    return BuildModel(*server, *streams);
  }

  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    auto varz_reply = client_.Get(kVarzPath, deadline);
    if (!varz_reply.ok()) return varz_reply.status();
    auto server = ParseVarz(*varz_reply);
    if (!server.ok()) return server.status();
    return MemberAddresses(*server, monitor_port_);
  }

 private:
  MonitorClient client_;
  const int monitor_port_;
};

}  // namespace

Kind NatsKind() {
  // The cluster name is native; a standalone server has none, and then the
  // target's cluster_id must be configured (else the target is down with
  // "the datastore gave no cluster ID and none is configured").
  Kind kind = KindOf<NatsCollector>("nats", /*native_cluster_id=*/true,
                                    /*default_port=*/8222);
  kind.load = [] { return LoadLibCurl().status(); };
  return kind;
}

}  // namespace dse::nats
