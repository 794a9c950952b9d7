// Pure parsers of Redis replies and the mapping onto the Datastore Model.
// No I/O here: everything is tested on replies recorded from redis-server.
#ifndef DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_PARSE_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::redis {

// The "key:value" fields of an INFO reply, all sections together.
using InfoFields = std::map<std::string, std::string, std::less<>>;

// Parses an INFO reply. Section headers ("# Replication") and blank lines are
// skipped; any other line without a colon is an error naming its line number.
absl::StatusOr<InfoFields> ParseInfo(absl::string_view text);

// One line of CLUSTER NODES.
struct ClusterNode {
  std::string id;
  std::string address;  // "ip:port@cport[,hostname]" as Redis gives it.
  std::string ip;       // Of `address`; "" when unknown (noaddr, a new node).
  int port = 0;         // The client port of `address`; 0 when unknown.
  bool myself = false;
  bool master = false;
  bool replica = false;
  bool failed = false;      // "fail" flag: the cluster agreed it is down.
  bool handshake = false;   // Being met ("handshake"): not a member yet.
  bool no_address = false;  // "noaddr": its address is no longer known.
  std::string master_id;    // "-" for masters.
  std::vector<std::pair<int, int>> slots;  // Inclusive ranges, in order.
};

// Parses a CLUSTER NODES reply; slot migration entries ("[1-<-id]") are
// ignored. Errors name the line.
absl::StatusOr<std::vector<ClusterNode>> ParseClusterNodes(
    absl::string_view text);

// For discovery (/sd): the "host:port" client addresses of the nodes that
// this node names, from INFO (sections replication and cluster) and, in
// cluster mode, CLUSTER NODES (required then).
// - Cluster mode: every node of CLUSTER NODES with a known address, this
//   node and failed nodes included (a failed node is still a member: /probe
//   shows it down); nodes in handshake (not members yet) and nodes with no
//   known address (noaddr, ip "" or port 0) are left out. The ip is used,
//   not the announced hostname.
// - Otherwise: its primary (master_host:master_port) on a replica, then its
//   replicas (slaveN: ip and port, the listening port each replica
//   announces, or its replica-announce-ip/port); a replication client that
//   announces no port (port=0, e.g. redis-cli --replica) is left out.
// IPv6 addresses come as "[ip]:port". Errors name the INFO field or line.
absl::StatusOr<std::vector<std::string>> MemberAddresses(
    const InfoFields& info, const std::vector<ClusterNode>* cluster_nodes);

// The shard ID of a set of slot ranges: "0-5460" or "0-100,200,300-400".
std::string SlotRangesId(const std::vector<std::pair<int, int>>& slots);

// What the mapping needs besides the replies.
struct MappingInput {
  std::string shard_id;  // Shard ID of a standalone node (the cluster ID).
  std::string node;      // Node name of a standalone node (its address).
};

// Builds the model from INFO (sections server, replication, cluster) and, when
// INFO says cluster mode is on, the CLUSTER NODES reply.
absl::StatusOr<NodeModel> BuildModel(
    const InfoFields& info, const std::vector<ClusterNode>* cluster_nodes,
    const MappingInput& input);

}  // namespace dse::redis

#endif  // DATASTORE_EXPORTER_COLLECTORS_REDIS_REDIS_PARSE_H_
