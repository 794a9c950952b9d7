// Pure parsers of etcd's HTTP/JSON gateway replies and the mapping onto the
// Datastore Model. No I/O here: everything is tested on replies recorded from
// etcd 3.4 (fixtures/record.sh).
//
// The gateway encodes 64-bit integers as decimal strings and omits fields that
// are zero or false (proto3 JSON), so a missing number reads as 0.
#ifndef DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_PARSE_H_
#define DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_PARSE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "exporter/model/model.h"

namespace dse::etcd {

// The reply of POST /v3/maintenance/status.
struct MemberStatus {
  std::string cluster_id;   // header.cluster_id, decimal as the API gives it.
  uint64_t member_id = 0;   // header.member_id.
  uint64_t leader = 0;      // 0 when the member knows no leader.
  uint64_t raft_index = 0;  // Committed raft index.
  uint64_t raft_applied_index = 0;  // Raft index applied to the store.
  std::string version;              // Server version ("3.4.23").
  bool learner = false;             // isLearner (etcd 3.4+).
  std::vector<std::string> errors;  // "etcdserver: no leader", alarms, ...
};

// Parses a status reply. Errors name the field: `status reply: field
// "header.member_id": expected a decimal string, got ...`.
absl::StatusOr<MemberStatus> ParseStatus(absl::string_view text);

// One entry of POST /v3/cluster/member/list.
struct Member {
  uint64_t id = 0;
  std::string name;  // Empty until the member has started once.
  bool learner = false;
  std::vector<std::string> client_urls;  // clientURLs; none before it starts.
};

absl::StatusOr<std::vector<Member>> ParseMemberList(absl::string_view text);

// For discovery: the "host:port" of each member's first client URL (a
// member never started has none and is left out).
std::vector<std::string> ClientAddresses(const std::vector<Member>& members);

// The token of a POST /v3/auth/authenticate reply.
absl::StatusOr<std::string> ParseAuthenticate(absl::string_view text);

// The error the gateway sends with a non-200 reply:
// {"error": "...", "message": "...", "code": <gRPC code>}.
struct GatewayError {
  int code = 0;         // gRPC status code; 16 is "unauthenticated".
  std::string message;  // The reply text itself when it is not such JSON.
};
GatewayError ParseGatewayError(absl::string_view text);

// The name of `member_id` in a member list, or nullopt when it is not listed
// or has no name yet (it never started, or its name is not committed yet).
std::optional<std::string> MemberName(const std::vector<Member>& members,
                                      uint64_t member_id);

// Builds the model: the native cluster ID, one shard (whose ID is the cluster
// ID), role from leader == member_id, commit offset = raft index, lag = raft
// index - applied index, both in unit "raft_index".
NodeModel BuildModel(const MemberStatus& status, const std::string& node);

}  // namespace dse::etcd

#endif  // DATASTORE_EXPORTER_COLLECTORS_ETCD_ETCD_PARSE_H_
