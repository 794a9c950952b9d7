// Pure parsers of a RabbitMQ node's replies (the Prometheus plugin's
// /metrics/detailed?family=ra_metrics, the management API's queue and node
// lists) and the mapping onto the Datastore Model. No I/O here: everything is
// tested on replies recorded from RabbitMQ 3.10.8 (fixtures/README.md says
// how).
#ifndef DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_PARSE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::rabbitmq {

// The unit of a quorum queue's commit offset: its Raft log index.
inline constexpr char kRaftIndexUnit[] = "raft_index";

// A queue's identity: its virtual host and name.
using QueueId = std::pair<std::string, std::string>;

// What the Prometheus plugin tells about the node.
struct NodeMetrics {
  // rabbitmq_identity_info's labels.
  std::string cluster_id;    // rabbitmq_cluster_permanent_id; "" if absent.
  std::string cluster_name;  // rabbitmq_cluster; "" if absent.
  std::string node;          // rabbitmq_node ("rabbit1@host").
  std::string version;       // rabbitmq_build_info's rabbitmq_version.
  // rabbitmq_detailed_raft_log_commit_index of every quorum queue with a
  // member on this node (leader or follower), by queue. Series without
  // vhost and queue labels (another Raft cluster of the node's, the stream
  // coordinator's) are not queues: left out.
  std::map<QueueId, uint64_t> commit_index;
  // The queues in the node's queue_coarse_metrics family (when it was
  // asked): those whose process runs here, so a quorum queue's leader, a
  // stream's writer, a classic queue, as of the last 5-s refresh.
  std::set<QueueId> leading;
};

// Parses a /metrics/detailed reply (families ra_metrics, queue_coarse_metrics
// and any other). Errors name the line or the series: `metrics reply: line
// 12: ...`, `metrics reply: line 3: rabbitmq_detailed_raft_log_commit_index
// of "//qq1": expected a non-negative integer, got NaN`, `metrics reply: no
// rabbitmq_identity_info sample`.
absl::StatusOr<NodeMetrics> ParseDetailedMetrics(absl::string_view text);

// One queue of the management API's cluster-wide list (GET /api/queues with
// disable_stats=true and the columns name,vhost,type,leader,node,members).
struct Queue {
  std::string vhost;
  std::string name;
  std::string type;  // "quorum", "stream", "classic", ...
  // A quorum queue's leader; nullopt when the reply gives null (no leader:
  // an election) or nothing.
  std::optional<std::string> leader;
  // The node of the queue's process: a stream's writer (RabbitMQ gives no
  // leader for streams), a classic queue's home; "" when not given.
  std::string node;
  // A quorum queue's members. Streams have members only in replies with
  // statistics (without disable_stats), which the collector does not ask.
  std::vector<std::string> members;
};

// Parses a queue list. A field the collector reads that appears twice in one
// queue is an error (without disable_stats=true, RabbitMQ 3.10 merges a
// queue's record with stale statistics and repeats keys: which copy is right
// cannot be told); repeated fields it does not read ("online") are ignored.
// Errors name the queue and field: `queues reply: [1]: field "leader":
// expected a string or null, got 5`.
absl::StatusOr<std::vector<Queue>> ParseQueues(absl::string_view text);

// Parses the node names of GET /api/nodes?columns=name ("rabbit@host").
absl::StatusOr<std::vector<std::string>> ParseNodeNames(absl::string_view text);

// For discovery: each node at the host part of its name ("rabbit@host" →
// "host:PORT") and `management_port` (RabbitMQ tells no other node's
// management port: the port of the node asked is assumed for all). Names
// without a host are skipped; each address is listed once.
std::vector<std::string> MemberAddresses(
    const std::vector<std::string>& node_names, int management_port);

// Builds the model: cluster_id = rabbitmq_cluster_permanent_id, display name
// = rabbitmq_cluster, node = rabbitmq_node, version = rabbitmq_version; one
// shard ("VHOST/NAME") per quorum queue this node is a member of (by the
// queue's members, or by its Raft series when the list names no members) and
// per stream this node writes or is a named member of. Quorum queue: leader
// == this node → primary, another → secondary, none → unknown with
// role_detail "no leader"; commit offset = the Raft commit index in unit
// "raft_index" when the node has the queue's series. Stream: writer == this
// node → primary, else secondary; no writer → unknown ("no writer"); no
// commit offset. No lag (README.md says why). Classic queues are not shards.
NodeModel BuildModel(const NodeMetrics& metrics,
                     const std::vector<Queue>& queues);

// The streams of a queue list.
std::set<QueueId> StreamIds(const std::vector<Queue>& queues);

// The virtual hosts where this node holds quorum queue members (Raft series)
// of which the list names no queue at all. The list holds only the vhosts
// the user has permissions on (the "monitoring" tag alone lists none), so
// such a vhost's queues would silently be no shards; a vhost whose last
// queue was deleted since the metrics' refresh also shows here for up to 5 s.
std::set<std::string> UnlistedVhosts(const NodeMetrics& metrics,
                                     const std::vector<Queue>& queues);

// The model from the node's metrics alone, for when the queue list does not
// come in time (a member node that hangs makes it wait about 1 s per quorum
// queue it is a member of, README.md). Identity as BuildModel; one shard per
// quorum queue with Raft series on this node, `primary` when the queue is in
// `metrics.leading`, else `secondary`, with its commit offset; one per queue
// of `streams` (from an earlier list) in `metrics.leading`, `primary`. Roles
// are then as old as the node's last metrics refresh (up to 5 s).
NodeModel BuildModelFromMetrics(const NodeMetrics& metrics,
                                const std::set<QueueId>& streams);

}  // namespace dse::rabbitmq

#endif  // DATASTORE_EXPORTER_COLLECTORS_RABBITMQ_RABBITMQ_PARSE_H_
