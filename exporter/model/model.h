// The Datastore Model (version 0.3.1) as plain types.
//
// A collector fills a NodeModel for one node of a datastore; everything the
// exporter publishes is derived from it. What the node cannot tell is absent
// (an empty optional or an empty vector), never zero.
#ifndef DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_H_
#define DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dse {

// The role of a node for one shard. Datastore-specific states that are
// neither map to kUnknown, with the native state kept in Shard::role_detail.
enum class Role { kPrimary, kSecondary, kRecovering, kUnknown };

// Lower-case name used in metrics and JSON: "primary", "secondary", ...
std::string_view RoleName(Role role);

// A commit offset: a datastore's own monotonic position (unit + 64-bit value).
// The unit never changes for a kind; values use base units ("bytes").
struct CommitOffset {
  std::string unit;
  uint64_t value = 0;
};

// Replication lag of a node's copy of a shard. A node may give several lags in
// different units (for example bytes and seconds).
struct Lag {
  std::string unit;
  double value = 0;
};

struct Shard {
  std::string id;
  Role role = Role::kUnknown;
  std::string role_detail;  // The native state when role is kUnknown.
  std::optional<CommitOffset> commit_offset;
  std::vector<Lag> lags;
};

struct NodeModel {
  std::string cluster_id;            // Shared by all nodes of the cluster.
  std::string cluster_display_name;  // Optional, operator friendly.
  std::string node;                  // Unique inside the cluster.
  std::string version;
  std::vector<Shard> shards;
};

// `text` as valid UTF-8: every byte that does not belong to a well-formed
// sequence, and NUL, becomes U+FFFD. Label values must be UTF-8 (one bad byte
// makes Prometheus reject the whole scrape), and so must JSON.
std::string ValidUtf8(std::string_view text);

// ValidUtf8 on every string of the model (what a datastore told).
void MakeValidUtf8(NodeModel& model);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_MODEL_MODEL_H_
