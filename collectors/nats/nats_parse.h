// Pure parsers of nats-server's monitoring replies (/varz and
// /jsz?accounts=true&streams=true) and the mapping onto the Datastore Model.
// No I/O here: everything is tested on replies recorded from nats-server
// 2.9.10 (fixtures/README.md says how).
#ifndef DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_PARSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::nats {

// The unit of a stream's commit offset: JetStream's stream sequence.
inline constexpr char kStreamSequenceUnit[] = "stream_sequence";

// What /varz tells about the server.
struct ServerInfo {
  std::string server_name;   // .server_name, set by the configuration.
  std::string version;       // .version ("2.9.10").
  std::string cluster_name;  // .cluster.name; empty on a standalone server.
  // .connect_urls: the client addresses ("host:port") the cluster's servers
  // advertise, this one's included; none on a standalone server.
  std::vector<std::string> connect_urls;
};

// Parses a /varz reply. Errors name the field: `varz reply: field
// "server_name": missing`.
absl::StatusOr<ServerInfo> ParseVarz(absl::string_view text);

// For discovery: each server of the cluster at the host of its advertised
// client address and at `monitor_port` (nats-server tells no other server's
// monitoring port: the port of the server asked is assumed for all).
std::vector<std::string> MemberAddresses(const ServerInfo& server,
                                         int monitor_port);

// One stream replica this server holds, from
// /jsz .account_details[].stream_detail[].
struct StreamReplica {
  std::string account;  // .account_details[].name ("$G" without accounts).
  std::string stream;   // .name.
  // False when the stream has no "cluster" object at all.
  bool has_cluster = false;
  // .cluster.leader: the server name of the stream's leader; nullopt while
  // no leader is known (an election, or no quorum).
  std::optional<std::string> leader;
  uint64_t last_seq = 0;  // .state.last_seq, from this server's own store.
};

// Parses a /jsz?accounts=true&streams=true reply into the streams this server
// holds a replica of. Accounts without JetStream are not listed by the
// server; an account or a reply without streams gives none. Errors name the
// field: `jsz reply: account_details[0].stream_detail[1]: field
// "state.last_seq": expected an unsigned integer, got "x"`.
absl::StatusOr<std::vector<StreamReplica>> ParseJsz(absl::string_view text);

// Builds the model: cluster_id = cluster name (empty on a standalone server:
// the target's configured cluster_id must then give it), node = server name,
// one shard per stream ("ACCOUNT/STREAM"): primary when its leader is this
// server (or it has no cluster object: the only copy), secondary when another
// server leads it, unknown with role_detail "no leader" while none does;
// commit offset = last_seq in unit "stream_sequence"; no lag.
NodeModel BuildModel(const ServerInfo& server,
                     const std::vector<StreamReplica>& streams);

}  // namespace dse::nats

#endif  // DATASTORE_EXPORTER_COLLECTORS_NATS_NATS_PARSE_H_
