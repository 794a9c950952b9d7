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
  bool myself = false;
  bool master = false;
  bool replica = false;
  bool failed = false;    // "fail" flag: the cluster agreed it is down.
  std::string master_id;  // "-" for masters.
  std::vector<std::pair<int, int>> slots;  // Inclusive ranges, in order.
};

// Parses a CLUSTER NODES reply; slot migration entries ("[1-<-id]") are
// ignored. Errors name the line.
absl::StatusOr<std::vector<ClusterNode>> ParseClusterNodes(
    absl::string_view text);

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
