#include "collectors/rabbitmq/rabbitmq_collector.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "collectors/libcurl/libcurl.h"
#include "collectors/rabbitmq/rabbitmq_client.h"
#include "collectors/rabbitmq/rabbitmq_parse.h"
#include "exporter/model/log.h"

namespace dse::rabbitmq {
namespace {

constexpr int kDefaultManagementPort = 15672;
constexpr int kDefaultPrometheusPort = 15692;

// Identity, version and the Raft indexes of the quorum queues with a member
// on this node; no other family is needed (README.md).
constexpr absl::string_view kMetricsPath =
    "/metrics/detailed?family=ra_metrics";
// The cluster's queues from their records: current leaders and members, no
// statistics (those repeat keys with stale values, README.md).
constexpr absl::string_view kQueuesPath =
    "/api/queues?disable_stats=true"
    "&columns=name,vhost,type,leader,node,members";
// Only when the queue list does not come in time: the queues whose process
// runs on this node (leaders, writers), as of the last 5-s refresh.
constexpr absl::string_view kLeadingPath =
    "/metrics/detailed?family=queue_coarse_metrics";
constexpr absl::string_view kNodesPath = "/api/nodes?columns=name";

// After the queue list timed out, how long the collections use the metrics
// alone before asking for it again: the node goes on computing a list it
// was asked for after the exporter gave up (about 1 s per quorum queue with
// a member on a hung node), so it is not asked at every scrape meanwhile.
constexpr absl::Duration kQueueListRetry = absl::Seconds(30);

class RabbitMqCollector : public Collector {
 public:
  // The options were checked when the target was loaded (kind.validate); a
  // bad one still fails each collection, never a start.
  explicit RabbitMqCollector(const TargetConfig& config)
      : target_(config.name),
        prometheus_port_(PrometheusPortFrom(config.options)),
        management_("management API", config.endpoint,
                    BasicAuth{config.username, config.password},
                    config.max_reply_bytes),
        prometheus_("prometheus plugin",
                    HostPort{config.endpoint.host,
                             prometheus_port_.value_or(kDefaultPrometheusPort)},
                    BasicAuth{}, config.max_reply_bytes),
        management_port_(config.endpoint.port) {}

  absl::StatusOr<NodeModel> Collect(absl::Time deadline) override {
    if (!prometheus_port_.ok()) return prometheus_port_.status();
    auto metrics_reply = prometheus_.Get(kMetricsPath, deadline);
    if (!metrics_reply.ok()) return metrics_reply.status();
    auto metrics = ParseDetailedMetrics(*metrics_reply);
    if (!metrics.ok()) return metrics.status();
    const absl::Time now = absl::Now();
    if (now >= queue_list_retry_) {
      // Half the time left: the other half still gives the metrics-only
      // model when a hung member node holds the list up.
      auto queues_reply =
          management_.Get(kQueuesPath, now + (deadline - now) / 2);
      if (queues_reply.ok()) {
        auto queues = ParseQueues(*queues_reply);
        if (!queues.ok()) return queues.status();
        streams_ = StreamIds(*queues);
        WarnOfUnlistedVhosts(UnlistedVhosts(*metrics, *queues));
        if (!queue_list_error_.empty()) {
          Log(LogLevel::kInfo, "rabbitmq queue list answers again",
              {{"target", target_}});
          queue_list_error_.clear();
        }
        return BuildModel(*metrics, *queues);
      }
      if (!absl::IsDeadlineExceeded(queues_reply.status())) {
        return queues_reply.status();
      }
      queue_list_retry_ = absl::Now() + kQueueListRetry;
      if (queue_list_error_.empty()) {
        queue_list_error_ = std::string(queues_reply.status().message());
        Log(LogLevel::kWarn,
            "rabbitmq queue list timed out: roles from the node's metrics "
            "(up to 5 s old) until it answers",
            {{"target", target_}, {"err", queue_list_error_}});
      }
    }
    auto leading_reply = prometheus_.Get(kLeadingPath, deadline);
    if (!leading_reply.ok()) return leading_reply.status();
    auto leading = ParseDetailedMetrics(*leading_reply);
    if (!leading.ok()) return leading.status();
    metrics->leading = std::move(leading->leading);
    return BuildModelFromMetrics(*metrics, streams_);
  }

  absl::StatusOr<std::vector<std::string>> Members(
      absl::Time deadline) override {
    auto nodes_reply = management_.Get(kNodesPath, deadline);
    if (!nodes_reply.ok()) return nodes_reply.status();
    auto names = ParseNodeNames(*nodes_reply);
    if (!names.ok()) return names.status();
    return MemberAddresses(*names, management_port_);
  }

 private:
  // Logs once per change the vhosts whose queues the list lacks.
  void WarnOfUnlistedVhosts(const std::set<std::string>& vhosts) {
    if (vhosts == unlisted_vhosts_) return;
    unlisted_vhosts_ = vhosts;
    if (vhosts.empty()) return;
    Log(LogLevel::kWarn,
        "rabbitmq queue list names no queue of vhosts where this node holds "
        "quorum queue members: their queues are no shards; give the user "
        "permissions there (empty ones suffice), unless they were just "
        "deleted",
        {{"target", target_}, {"vhosts", absl::StrJoin(vhosts, ",")}});
  }

  const std::string target_;  // For the log.
  const absl::StatusOr<int> prometheus_port_;
  HttpClient management_;  // The target's address, with its credentials.
  HttpClient prometheus_;  // Same host; the plugin asks no credentials.
  const int management_port_;
  // The streams of the last queue list, for the metrics-only model.
  std::set<QueueId> streams_;
  // While the queue list times out: when to ask again, and the first error
  // (logged once).
  absl::Time queue_list_retry_ = absl::InfinitePast();
  std::string queue_list_error_;
  // The vhosts last warned of (UnlistedVhosts).
  std::set<std::string> unlisted_vhosts_;
};

}  // namespace

absl::StatusOr<int> PrometheusPortFrom(
    const std::map<std::string, std::string>& options) {
  auto it = options.find("prometheus_port");
  if (it == options.end()) return kDefaultPrometheusPort;
  int port = 0;
  if (!absl::SimpleAtoi(it->second, &port) || port < 1 || port > 65535 ||
      it->second.find_first_not_of("0123456789") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "option \"prometheus_port\": expected a port number from 1 to 65535, "
        "got \"",
        it->second, "\""));
  }
  return port;
}

Kind RabbitMqKind() {
  Kind kind = KindOf<RabbitMqCollector>("rabbitmq", /*native_cluster_id=*/true,
                                        kDefaultManagementPort);
  kind.option_keys = {"prometheus_port"};
  kind.validate = [](const TargetConfig& config) {
    std::vector<std::string> errors;
    if (config.username.empty() && !config.password.empty()) {
      errors.push_back("a password is configured without a username");
    }
    absl::Status port = PrometheusPortFrom(config.options).status();
    if (!port.ok()) errors.emplace_back(port.message());
    if (errors.empty()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrJoin(errors, "; "));
  };
  kind.load = [] { return LoadLibCurl().status(); };
  return kind;
}

}  // namespace dse::rabbitmq
