// Pure parsers of ZooKeeper four-letter-word replies and the mapping onto the
// Datastore Model. No I/O here: everything is tested on replies recorded from
// Debian's zookeeper 3.8.0 (fixtures/record.sh).
#ifndef DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_PARSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::zookeeper {

// What `srvr` tells about the server.
struct ServerStatus {
  std::string version;  // "3.8.0": the build's commit and date dropped.
  std::string mode;     // leader, follower, observer, standalone or read-only.
  uint64_t zxid = 0;    // Last processed transaction: epoch << 32 | counter.
};

// Parses a `srvr` reply. A server that is not serving (leader election, no
// quorum) and a server whose 4lw.commands.whitelist leaves srvr out answer
// with one sentence instead: both are errors saying so. Errors name the
// field and the line.
absl::StatusOr<ServerStatus> ParseSrvr(absl::string_view reply);

// The server id ("serverId=3", 0 on a standalone server) from a `conf`
// reply, or nullopt when conf is not in the server's 4lw.commands.whitelist.
absl::StatusOr<std::optional<std::string>> ParseConfServerId(
    absl::string_view reply);

// For discovery: the client address ("host:port") of every server of the
// ensemble from a `conf` reply's membership lines
// (server.N=host:quorum:election[:role][;[clientHost:]clientPort]). A line
// without a client part gives no client port: `fallback_port` (the port of
// the server asked) is used with the line's host. A client host of 0.0.0.0
// or :: means the line's host. A standalone server lists none. conf left out
// of the whitelist is an error saying discovery needs it.
absl::StatusOr<std::vector<std::string>> ParseConfMembers(
    absl::string_view reply, int fallback_port);

// What the mapping needs besides the replies.
struct MappingInput {
  std::string shard_id;  // The one shard's ID (the configured cluster ID).
  std::string node;      // Node name; "" lets the exporter fill it in.
};

// Maps a server's status onto the model: one shard; leader and standalone
// are primary, follower and observer secondary; the zxid is the commit
// offset (unit "zxid"). ZooKeeper gives no lag of its own.
NodeModel BuildModel(const ServerStatus& status, const MappingInput& input);

}  // namespace dse::zookeeper

#endif  // DATASTORE_EXPORTER_COLLECTORS_ZOOKEEPER_ZOOKEEPER_PARSE_H_
